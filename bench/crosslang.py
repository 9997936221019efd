"""Cross-language check on the shipped real corpus: train on one language, score on the other's test split.

Users bring sources the models never saw; the nearest we can measure here is the other language. For each shipped
experiment without a search, the model is fitted three times (both languages, French only, English only, through
`[data] train_languages`) on the train split of the corpus `make train` builds, and scored on the French and the
English rows of the test split (`test.fr.*`, `test.en.*`, the per-language scores every run logs).

    .venv/bin/python bench/crosslang.py [--data data/corpus]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from common import ROOT, log, machine

EXPERIMENTS = ("claims-logreg", "claims-svm-cues", "entities-basic", "entities-rich")
TRAIN = {"both": (), "fr only": ("fr",), "en only": ("en",)}


def run(data: Path) -> dict:
    from toolkit.dataset import build_dataset, training_snapshots
    from toolkit.training.experiments import load_experiment
    from toolkit.training.fit import fit

    if not (data / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), data)
    results = {}
    for name in EXPERIMENTS:
        experiment = load_experiment(ROOT / "experiments" / f"{name}.toml")
        for label, languages in TRAIN.items():
            began = time.perf_counter()
            result = fit(dataclasses.replace(experiment, train_languages=languages), data)
            headline = result.task.headline
            results[f"{name} | {label}"] = {
                "fr": result.scores["test.fr"][headline],
                "en": result.scores["test.en"][headline],
                "all": result.scores["test"][headline],
                "train_rows": len(result.dataset["train"]),
                "seconds": time.perf_counter() - began,
                "data_version": result.data_version,
            }
            log(f"{name} trained on {label}: {results[f'{name} | {label}']}")
    return results


def markdown(results: dict) -> str:
    lines = [
        "| experiment | trained on | train rows | test FR | test EN | test all |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key, value in results.items():
        name, label = key.split(" | ")
        lines.append(
            f"| {name} | {label} | {value['train_rows']} | {value['fr']:.3f} | {value['en']:.3f} | {value['all']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus")
    args = parser.parse_args()
    results = run(args.data)
    print(f"machine: {machine()}")
    print(markdown(results))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
