"""What the corpus's later annotation batches bring: each experiment fitted on the dataset of batch 1's snapshot
and on the newest (batches 1-3), both scored on the validation articles the two datasets share (issue 9).

    python bench/corpus_batches.py [--experiments experiments/a.toml ...] [--results bench/RESULTS.md]

The shared validation articles are batch 1's: the split is seeded by article id, so adding articles moves only a few
of the old ones across a boundary. Both fits read the same public corpora in data/public (mixed-in sources and
judges, built by `make public-data`), so the corpus is the only change. Columns: macro F1 (claims) or span F1
(entities) on the shared validation rows, all and per language, per class for claims; then each judge's score and
the run's own transfer score (`validation.transfer.*`, which selection uses: its mean with the run's whole validation
split, so batch 1's 87 articles against 181). Test splits are not scored.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from common import ROOT, finish, load, log, machine, section_head, table

BATCH_1 = ROOT / "annotations" / "exports" / "wikinews" / "2026-11-30T220000Z.json"
EXPERIMENTS = (
    ROOT / "experiments" / "claims-logreg-crosslang.toml",
    ROOT / "experiments" / "claims-transfer-weak.toml",
    ROOT / "experiments" / "claims-char-weak.toml",
    ROOT / "experiments" / "entities-multi.toml",
)
JUDGES = ROOT / "data" / "public"
BEGIN, END = "<!-- corpus-batches:begin -->", "<!-- corpus-batches:end -->"
CLAIM_CLASSES = ("FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION")


def _datasets(workdir: Path) -> dict[str, Path]:
    from toolkit.dataset import build_dataset, training_snapshots

    newest = training_snapshots(ROOT / "annotations" / "training.toml")
    built = {}
    for name, exports in (("batch 1", [BATCH_1]), ("batches 1-3", newest)):
        built[name] = workdir / name.replace(" ", "-")
        build_dataset(exports, built[name])
    return built


def _score(result: Any, shared: set[str]) -> dict[str, Any]:
    from toolkit.models.metrics import classification_metrics, span_metrics
    from toolkit.training.judges import judge_headline

    rows, truth, predicted = result.predictions["validation"]
    claims = not result.task.sequence
    scores: dict[str, Any] = {"train rows": len(result.dataset["train"])}
    for lang in ("all", "fr", "en"):
        keep = [
            i
            for i, (article, row_lang) in enumerate(zip(rows["article_id"], rows["lang"], strict=True))
            if article in shared and lang in ("all", row_lang)
        ]
        gold, guess = [truth[i] for i in keep], [predicted[i] for i in keep]
        if claims:
            metrics = classification_metrics(gold, guess, result.labels)
            scores[lang] = metrics["macro_f1"]
            if lang == "all":
                scores.update({label: metrics.get(f"f1.{label}", 0.0) for label in CLAIM_CLASSES})
        else:
            scores[lang] = span_metrics(gold, guess)["span_f1"]
    for key, values in result.scores.items():
        judge = key.removeprefix("validation.")
        if key.startswith("validation.") and judge not in ("fr", "en") and isinstance(values, dict):
            scores[judge] = values.get(judge_headline(result.task, judge))
    return scores


def run(shared: Path | None = None, experiments: list[Path] | None = None) -> dict[str, Any]:
    """`shared` is unused (the public corpora are read from data/public, which `make public-data` builds from it);
    it is there so that bench/run.py can call every script the same way."""
    from toolkit.training.fit import fit

    experiments = list(experiments or EXPERIMENTS)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as workdir:
        datasets = _datasets(Path(workdir))
        for experiment in experiments:
            fitted = {}
            for name, path in datasets.items():
                log(f"{experiment.stem} on {name}")
                fitted[name] = fit(experiment, path, judges=JUDGES if JUDGES.is_dir() else None)
            articles = [set(result.predictions["validation"][0]["article_id"]) for result in fitted.values()]
            shared = set.intersection(*articles)
            results[experiment.stem] = {
                "shared validation articles": len(shared),
                **{name: _score(result, shared) for name, result in fitted.items()},
            }
    return results


def markdown(results: dict[str, Any]) -> str:
    parts = []
    for experiment, by_corpus in results.items():
        names = [name for name in by_corpus if name != "shared validation articles"]
        columns = [key for key in by_corpus[names[0]] if key != "train rows"]
        rows = [
            [name, by_corpus[name]["train rows"], *(_cell(by_corpus[name].get(column)) for column in columns)]
            for name in names
        ]
        parts.append(
            f"**{experiment}** ({by_corpus['shared validation articles']} shared validation articles):\n\n"
            + table(["corpus", "train rows", *columns], rows)
        )
    return "\n\n".join(parts)


def _cell(value: Any) -> Any:
    return f"{value:.3f}" if isinstance(value, float) else ("—" if value is None else value)


def section(results: dict[str, Any], info: dict[str, str], command: str) -> str:
    return (
        section_head("What the later annotation batches bring (issue 9)", info, command)
        + "\n\n".join(__doc__.split("\n\n")[1:])
        + "\n"
        + markdown(results)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", nargs="+", type=Path, default=list(EXPERIMENTS))
    parser.add_argument("--results", type=Path, help="RESULTS.md whose corpus-batches section to replace")
    args = parser.parse_args()
    info = machine()
    results = run(experiments=args.experiments)
    info["load_end"] = load()
    command = "python bench/corpus_batches.py" + (
        " --experiments " + " ".join(str(path) for path in args.experiments)
        if args.experiments != list(EXPERIMENTS)
        else ""
    )
    saved = {"machine": info, "results": results}
    finish(
        "corpus_batches",
        saved,
        args.results,
        section(results, info, command),
        (BEGIN, END),
        markdown(results),
    )


if __name__ == "__main__":
    main()
