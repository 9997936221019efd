"""Label-error detection by injected noise: does `toolkit.training.review` find labels we flipped on purpose?

On the claims rows of the shipped real corpus (train and validation; test is left alone), 5 % of the labels are
flipped, either at random to another status or toward the status the model confuses them with most (the harder
case: the noise looks like a plausible mistake). Out-of-fold probabilities (5 folds grouped by article, the
claims-logreg experiment) then go through confident learning, and the suspects are compared with the flipped rows:
precision and recall of all suspects, and of the top k, k = the number of flipped rows, under each ranking of
`find_label_issues` (margin, the tool's default, and self-confidence, cleanlab's), on the same probabilities; and the
highest recall any top k' reaches at precision ≥ 0.5 (the issue's goal: ≥ 0.6). Seeds 1-3 each.
The corpus's own label errors count against precision: the figures are a lower bound.

    .venv/bin/python bench/label_noise.py [--data data/corpus] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from common import ROOT, log, machine

NOISE = 0.05


def load_rows(data: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from toolkit.dataset import build_dataset, load_dataset, training_snapshots
    from toolkit.tasks import TASKS

    if not (data / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), data)
    dataset, _ = load_dataset(data, "claims")
    texts, labels, groups = [], [], []
    for split in ("train", "validation"):
        X, y = TASKS["claims"].xy(dataset[split])
        texts.extend(X), labels.extend(y), groups.extend(dataset[split]["article_id"])
    return np.array(texts, dtype=str), np.array(labels), groups


def flip(
    labels: np.ndarray, classes: list[str], rng: np.random.Generator, toward: dict[str, str] | None
) -> tuple:
    noisy = labels.copy()
    chosen = rng.choice(len(labels), size=round(NOISE * len(labels)), replace=False)
    for row in chosen:
        if toward is not None:
            noisy[row] = toward[labels[row]]
        else:
            noisy[row] = rng.choice([label for label in classes if label != labels[row]])
    return noisy, set(chosen.tolist())


def scores(suspects: list, flipped: set[int]) -> dict[str, float]:
    found = [suspect.index for suspect in suspects]
    top = found[: len(flipped)]
    hits, top_hits = len(set(found) & flipped), len(set(top) & flipped)
    running = np.cumsum([index in flipped for index in found])  # flipped rows among the first k', every k'
    precise = running / np.arange(1, len(found) + 1) >= 0.5
    return {
        "suspects": len(found),
        "precision": hits / len(found) if found else 0.0,
        "recall": hits / len(flipped),
        "precision_at_k": top_hits / len(top) if top else 0.0,
        "recall_at_k": top_hits / len(flipped),
        "recall_at_precision_half": float(running[precise].max() / len(flipped)) if precise.any() else 0.0,
    }


def run(data: Path, seeds: int) -> dict:
    from toolkit.training.experiments import build_estimator, load_experiment
    from toolkit.training.review import RANKINGS, find_label_issues, out_of_fold_probabilities

    X, y, groups = load_rows(data)
    estimator = build_estimator(load_experiment(ROOT / "experiments" / "claims-logreg.toml"), 13)
    classes = sorted(set(y.tolist()))
    log(f"{len(y)} sentences, {len(set(groups))} articles; clean out-of-fold pass")
    clean, _ = out_of_fold_probabilities(estimator, X, y, groups)
    predicted = np.asarray(classes)[clean.argmax(axis=1)]
    confusions = Counter((a, b) for a, b in zip(y, predicted, strict=True) if a != b)
    toward = {}
    for label in classes:
        options = [(count, b) for (a, b), count in confusions.items() if a == label]
        toward[label] = max(options)[1] if options else next(c for c in classes if c != label)
    baseline = len(find_label_issues(y, clean, classes))
    results = {"rows": len(y), "clean_suspects": baseline, "toward": toward, "runs": []}
    for kind in ("random", "confusable"):
        for seed in range(1, seeds + 1):
            rng = np.random.default_rng(seed)
            noisy, flipped = flip(y, classes, rng, toward if kind == "confusable" else None)
            probabilities, _ = out_of_fold_probabilities(estimator, X, noisy, groups, seed=seed)
            run = {"noise": kind, "seed": seed, "flipped": len(flipped)}
            for ranking in RANKINGS:
                run[ranking] = scores(find_label_issues(noisy, probabilities, classes, ranking), flipped)
            results["runs"].append(run)
            log(f"{kind} seed {seed}: {run}")
    return results


def markdown(results: dict) -> str:
    lines = [
        f"{results['rows']} sentences; with no noise injected, {results['clean_suspects']} suspects (the corpus's own"
        " doubtful labels).",
        "",
        "| noise | seed | flipped | suspects | precision | recall | P@k = R@k, margin | P@k = R@k, self-confidence "
        "| best recall at P ≥ 0.5, margin | same, self-confidence |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        own, other = run["margin"], run["self_confidence"]  # the same suspects, ranked two ways
        lines.append(
            f"| {run['noise']} | {run['seed']} | {run['flipped']} | {own['suspects']} | {own['precision']:.3f} | "
            f"{own['recall']:.3f} | {own['precision_at_k']:.3f} | {other['precision_at_k']:.3f} | "
            f"{own['recall_at_precision_half']:.3f} | {other['recall_at_precision_half']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    results = run(args.data, args.seeds)
    print(f"machine: {machine()}")
    print(markdown(results))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
