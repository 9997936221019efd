"""Ablation of the claim classifier's feature blocks on the shipped real corpus, judged on validation only.

For each base experiment (claims-logreg, claims-svm-cues) and each feature set (n-grams only, + cues, + structure,
+ both), the model is fitted three times on the train split: both languages, French only, English only. It is
scored on the validation split: macro F1 overall and per language (train on both), and across languages (trained
on French, scored on the English validation rows: FR→EN; and the reverse). The test split is scored too, in a
separate table, for the record: nothing is chosen on it.

    .venv/bin/python bench/claims_ablation.py [--data data/corpus] [--experiments claims-logreg claims-svm-cues]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import ROOT, log, machine, table

EXPERIMENTS = ("claims-logreg", "claims-svm-cues")
FEATURES = {
    "n-grams only": {"use_cues": False, "use_structure": False},
    "+ cues": {"use_cues": True, "use_structure": False},
    "+ structure": {"use_cues": False, "use_structure": True},
    "+ cues + structure": {"use_cues": True, "use_structure": True},
}


def _rows(split, languages: tuple[str, ...]) -> list[int]:
    return [i for i, lang in enumerate(split["lang"]) if not languages or lang in languages]


def run(data: Path, experiments: tuple[str, ...] = EXPERIMENTS) -> dict:
    from toolkit.dataset import build_dataset, load_dataset, training_snapshots
    from toolkit.models.metrics import classification_metrics
    from toolkit.project import SEED as seed
    from toolkit.tasks import task_spec
    from toolkit.training.experiments import build_estimator, load_experiment

    if not (data / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), data)
    dataset, manifest = load_dataset(data, "claims")
    task = task_spec("claims")
    labels = task.labels(dataset["train"])
    splits = {name: task.xy(dataset[name]) for name in ("train", "validation", "test")}

    def score(model, split: str, languages: tuple[str, ...] = ()) -> float:
        X, y = splits[split]
        keep = _rows(dataset[split], languages)
        predicted = model.predict(X[keep])
        return classification_metrics([y[i] for i in keep], list(predicted), labels)["macro_f1"]

    results = {}
    for name in experiments:
        experiment = load_experiment(ROOT / "experiments" / f"{name}.toml")
        for label, params in FEATURES.items():
            began = time.perf_counter()
            models = {}
            for trained_on in ((), ("fr",), ("en",)):
                keep = _rows(dataset["train"], trained_on)
                X, y = splits["train"]
                model = build_estimator(experiment, seed).set_params(**params)
                models[trained_on] = model.fit(X[keep], [y[i] for i in keep])
            both, fr, en = models[()], models[("fr",)], models[("en",)]
            results[f"{name} | {label}"] = {
                "validation": score(both, "validation"),
                "validation.fr": score(both, "validation", ("fr",)),
                "validation.en": score(both, "validation", ("en",)),
                "validation FR→EN": score(fr, "validation", ("en",)),
                "validation EN→FR": score(en, "validation", ("fr",)),
                "test": score(both, "test"),
                "test FR→EN": score(fr, "test", ("en",)),
                "test EN→FR": score(en, "test", ("fr",)),
                "seconds": time.perf_counter() - began,
                "data_version": manifest["version"],
            }
            log(f"{name} {label}: {results[f'{name} | {label}']}")
    return results


def markdown(results: dict) -> str:
    keys = ("validation", "validation.fr", "validation.en", "validation FR→EN", "validation EN→FR")
    header = [
        "experiment",
        "features",
        "val macro F1",
        "val FR",
        "val EN",
        "FR→EN (val EN)",
        "EN→FR (val FR)",
    ]
    rows = [[*key.split(" | "), *(value[k] for k in keys)] for key, value in results.items()]
    record = [
        [*key.split(" | "), value["test"], value["test FR→EN"], value["test EN→FR"]]
        for key, value in results.items()
    ]
    return (
        "Validation (what the choice rests on):\n\n"
        + table(header, rows)
        + "\n\nTest, for the record (not used to choose):\n\n"
        + table(["experiment", "features", "test macro F1", "FR→EN (test EN)", "EN→FR (test FR)"], record)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS))
    args = parser.parse_args()
    results = run(args.data, tuple(args.experiments))
    print(f"machine: {machine()}")
    print(markdown(results))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
