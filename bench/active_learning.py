"""Active learning by simulation on the claims rows of the shipped real corpus: does choosing what to label help?

The train split is the pool, labelled by article (an article's sentences come together, as in Label Studio). Each
run starts from the same few random seed articles, then adds whole articles per round, in the order one strategy
gives (random, or `toolkit.training.select`'s uncertainty, margin and diverse on the current model's
probabilities), until the round has `--batch-sentences` sentences; it refits the ClaimClassifier of
experiments/claims-logreg.toml (no search) and scores macro F1 on the test split, until `--max-sentences` are
labelled (the pool has 2,894). Curves are the mean over seeds, against the sentences labelled; "reaches random's
final" is the first round whose mean score is at least random's mean score at its last round, in sentences and as
a share of the sentences random used for it.

    .venv/bin/python bench/active_learning.py [--data data/corpus] [--seeds 3] [--seed-articles 20]
        [--batch-sentences 250] [--max-sentences 1140]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, log, machine

STRATEGIES = ("random", "uncertainty", "margin", "diverse")


def load(data: Path) -> tuple[dict, tuple, list[str]]:
    """Pool: article id → (texts, labels); test: (texts, labels); the classes."""
    from toolkit.dataset import build_dataset, load_dataset, training_snapshots
    from toolkit.tasks import task_spec

    if not (data / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), data)
    dataset, _ = load_dataset(data, "claims")
    task = task_spec("claims")
    X, y = task.xy(dataset["train"])
    pool: dict[str, tuple[list[str], list[str]]] = {}
    for article, text, label in zip(dataset["train"]["article_id"], X, y, strict=True):
        texts, labels = pool.setdefault(article, ([], []))
        texts.append(str(text))
        labels.append(label)
    return pool, task.xy(dataset["test"]), task.labels(dataset["train"])


def curve(strategy: str, seed: int, pool: dict, test: tuple, args: argparse.Namespace) -> list[dict]:
    import numpy as np
    from sklearn.metrics import f1_score

    from toolkit.training.experiments import build_estimator, load_experiment
    from toolkit.training.select import rank, within_budget

    experiment = load_experiment(ROOT / "experiments" / "claims-logreg.toml")
    ids = sorted(pool)
    generator = np.random.default_rng(seed)
    order = [ids[i] for i in generator.permutation(len(ids))]
    labelled, remaining = order[: args.seed_articles], order[args.seed_articles :]
    points = []
    while True:
        texts = np.array([t for a in labelled for t in pool[a][0]], dtype=str)
        labels = [label for a in labelled for label in pool[a][1]]
        model = build_estimator(experiment, seed).fit(texts, labels)
        predicted = model.predict(test[0])
        score = f1_score(test[1], predicted, average="macro", labels=sorted(set(test[1])), zero_division=0)
        points.append({"articles": len(labelled), "sentences": len(labels), "macro_f1": float(score)})
        if not remaining or len(labels) >= args.max_sentences:
            return points
        if strategy == "random":
            ranking = list(range(len(remaining)))  # `remaining` is already in a seeded random order
        else:
            probabilities = model.predict_proba(
                np.array([t for a in remaining for t in pool[a][0]], dtype=str)
            )
            per_article, at = [], 0
            for article in remaining:
                per_article.append(probabilities[at : at + len(pool[article][0])])
                at += len(pool[article][0])
            texts_of = [" ".join(pool[a][0]) for a in remaining]
            ranking = [pick.index for pick in rank(per_article, strategy, texts_of)]
        # A round labels whole articles, in the strategy's order, until it has its sentences: the budget is
        # sentences (what an annotator spends time on), not articles (260 of the pool are one sentence long).
        # It is `toolkit push --select ... --limit-sentences`'s rule.
        goal = min(args.batch_sentences, args.max_sentences - len(labels))
        chosen = ranking[: within_budget(ranking, [len(pool[a][0]) for a in remaining], goal)]
        picked = set(chosen)
        labelled += [remaining[i] for i in chosen]
        remaining = [article for i, article in enumerate(remaining) if i not in picked]


def summarise(results: dict, total: int) -> tuple[dict, float]:
    """Mean curve per strategy, and the sentences each needs to reach random's final mean score."""
    import numpy as np

    means = {}
    for strategy, runs in results.items():
        length = min(len(run) for run in runs)
        means[strategy] = [
            {
                "sentences": float(np.mean([run[i]["sentences"] for run in runs])),
                "macro_f1": float(np.mean([run[i]["macro_f1"] for run in runs])),
                "sd": float(np.std([run[i]["macro_f1"] for run in runs])),
            }
            for i in range(length)
        ]
    target = means["random"][-1]["macro_f1"]
    return means, target


def reach(points: list[dict], target: float) -> float | None:
    return next((p["sentences"] for p in points if p["macro_f1"] >= target), None)


def plot(means: dict, target: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for strategy, points in means.items():
        xs = [p["sentences"] for p in points]
        ys = [p["macro_f1"] for p in points]
        sds = [p["sd"] for p in points]
        axes.plot(xs, ys, marker="o", markersize=3, label=strategy)
        low = [y - s for y, s in zip(ys, sds, strict=True)]
        high = [y + s for y, s in zip(ys, sds, strict=True)]
        axes.fill_between(xs, low, high, alpha=0.12)
    axes.axhline(target, color="grey", linestyle=":", linewidth=1, label="random, last round")
    axes.set_xlabel("sentences labelled (train split of the shipped corpus)")
    axes.set_ylabel("test macro F1")
    axes.set_title("Claim status: active learning vs random (mean ± sd over seeds)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def markdown(means: dict, target: float) -> str:
    """One column per round: mean test macro F1 ± sd over seeds, and (mean sentences labelled)."""
    rounds = len(means["random"])
    budget = means["random"][-1]["sentences"]
    lines = [
        "| strategy | " + " | ".join(f"round {i}" for i in range(rounds)) + " | reaches random's final |",
        "|---|" + "---:|" * (rounds + 1),
    ]
    for strategy, points in means.items():
        cells = [f"{p['macro_f1']:.3f} ± {p['sd']:.3f} ({p['sentences']:,.0f})" for p in points]
        reached = reach(points, target)
        where = f"{reached:,.0f} sentences ({reached / budget:.0%})" if reached is not None else "not reached"
        lines.append(f"| {strategy} | " + " | ".join(cells) + f" | {where} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-articles", type=int, default=20)
    parser.add_argument("--batch-sentences", type=int, default=250)
    parser.add_argument("--max-sentences", type=int, default=1140)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "active_learning.json")
    parser.add_argument("--table", action="store_true", help="Only redraw the plot and table from --output.")
    args = parser.parse_args()
    if args.table:
        saved = json.loads(args.output.read_text())
        plot(saved["means"], saved["target"], ROOT / "bench" / "active_learning.png")
        print(markdown(saved["means"], saved["target"]))
        return
    began = time.perf_counter()
    pool, test, _ = load(args.data)
    total = sum(len(texts) for texts, _ in pool.values())
    log(f"pool: {len(pool)} articles, {total} sentences; test: {len(test[1])} sentences")
    results: dict[str, list] = {strategy: [] for strategy in STRATEGIES}
    for seed in range(args.seeds):
        for strategy in STRATEGIES:
            t = time.perf_counter()
            results[strategy].append(curve(strategy, seed, pool, test, args))
            final = results[strategy][-1][-1]["macro_f1"]
            log(f"seed {seed} {strategy}: final {final:.3f} in {time.perf_counter() - t:.0f} s")
    means, target = summarise(results, total)
    plot(means, target, ROOT / "bench" / "active_learning.png")
    minutes = (time.perf_counter() - began) / 60
    args.output.write_text(json.dumps({"results": results, "means": means, "target": target}, indent=1))
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {minutes:.1f} min")
    print(f"machine: {machine()}")
    print(
        f"pool {len(pool)} articles / {total} sentences; {args.seeds} seeds, {args.seed_articles} seed articles,"
        f" rounds of {args.batch_sentences} sentences up to {args.max_sentences}; random's final: {target:.3f}"
    )
    print(markdown(means, target))


if __name__ == "__main__":
    main()
