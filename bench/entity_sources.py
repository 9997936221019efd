"""Per-source and cross-source entity scores: which public corpora, at which weight, help the tagger (issue 9).

    python bench/entity_sources.py [--data ../shared/data] [--experiment experiments/entities-rich.toml]
                                   [--mixes ours,all] [--results bench/RESULTS.md]

Rows are training mixes: our corpus (`data/corpus`, built when absent) alone, then with public corpora mixed in
through `[[data.sources]]` (imported by `toolkit.dataset.public.import_public`, WiNER without our articles),
each at a weight. The model is the experiment's (default entities-rich; rerun with another after a feature
change), fitted in a process of its own by the code `toolkit train` runs (`training_set` + `build_estimator`).

Columns are strict span F1 on dev splits only: our validation split, French and English apart, on PER/ORG/LOC/DATE
and on all six types; then each public corpus's own dev split, scored on the types that corpus annotates
(a DATE the model finds in CoNLL is not an error: CoNLL has no DATE layer). A public column whose corpus is not
in the row's mix is text from a source the model never saw: the cross-source view.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_DATA,
    ROOT,
    SEED,
    WORK,
    finish,
    load,
    log,
    machine,
    run_worker,
    section_head,
    table,
    worker_main,
)
from entities import _keep as keep_types

SCRIPT = Path(__file__).resolve()
EXPERIMENT = ROOT / "experiments" / "entities-rich.toml"
CORPUS = ROOT / "data" / "corpus"
PUBLIC = WORK / "public"
BEGIN, END = "<!-- entity-sources:begin -->", "<!-- entity-sources:end -->"
FOUR = ("PER", "ORG", "LOC", "DATE")
ALL_PUBLIC = ("winer-fr", "conll2003-en", "europeana-ner-fr", "hipe2020-fr", "finer-ord")
SHORT = {"winer-fr": "WiNER", "conll2003-en": "CoNLL", "europeana-ner-fr": "Europeana",
         "hipe2020-fr": "HIPE", "finer-ord": "FiNER"}  # fmt: skip

# name → {source: weight}. Edit freely: every row is one fit.
MIXES: dict[str, dict[str, float]] = {
    "ours": {},
    **{f"ours + {SHORT[name]}": {name: 1.0} for name in ALL_PUBLIC},
    "ours + all (1.0)": dict.fromkeys(ALL_PUBLIC, 1.0),
    "ours + all (0.3)": dict.fromkeys(ALL_PUBLIC, 0.3),
    "ours + all (0.1)": dict.fromkeys(ALL_PUBLIC, 0.1),
}
# The ablation of `unannotated_types`: these mixes teach that a public corpus's O tokens are O for every type,
# DATE, MONEY and PERCENT included, instead of summing over the types it never annotated.
O_AS_O = {"ours + all (0.3) with O for unannotated types": dict.fromkeys(ALL_PUBLIC, 0.3)}
MIXES.update(O_AS_O)
# The ablation of `bound_unannotated`: MONEY and PERCENT, which no public corpus annotates, left open on every
# O token of theirs instead of only on digits and rule matches.
FREE = {"ours + all (0.3) with MONEY/PERCENT unbound": dict.fromkeys(ALL_PUBLIC, 0.3)}
MIXES.update(FREE)


def _scores(gold: list[list[str]], predicted: list[list[str]], types: tuple[str, ...] | None) -> float:
    from toolkit.models.metrics import span_metrics

    if types is not None:
        gold = [keep_types(tags, types) for tags in gold]
        predicted = [keep_types(tags, types) for tags in predicted]
    return span_metrics(gold, predicted)["span_f1"]


def fit_mix(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit one mix and score it on every dev split; run in its own process."""
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS
    from toolkit.training.experiments import Source, build_estimator, load_experiment
    from toolkit.training.sources import training_set

    task = TASKS["entities"]
    experiment = load_experiment(spec["experiment"])
    sources = tuple(
        Source(name, Path(spec["public"]) / name, weight, required=True)
        for name, weight in spec["mix"].items()
    )
    experiment = dataclasses.replace(experiment, sources=sources)
    dataset, _ = load_dataset(Path(spec["corpus"]), "entities")
    train = dataset["train"]
    X, y = task.xy(train)
    start = time.perf_counter()
    mixed = training_set(experiment, task, X, y, list(train["article_id"]), list(train["lang"]))
    if spec.get("o_as_o"):
        mixed.fit_params.pop("unannotated_types", None)
    load_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    model = build_estimator(experiment, SEED)
    if spec.get("free"):
        model.set_params(bound_unannotated=False)
    model.fit(mixed.X, mixed.y, **mixed.fit_params)
    result: dict[str, Any] = {
        "train_s": time.perf_counter() - start,
        "train_cpu_s": time.process_time() - cpu,
        "load_s": load_s,
        "rows": len(mixed.y),
    }
    validation = dataset["validation"]
    for lang in ("fr", "en"):
        rows = validation.select([i for i, value in enumerate(validation["lang"]) if value == lang])
        X_dev, y_dev = task.xy(rows)
        predicted = [list(tags) for tags in model.predict(X_dev)]
        result[f"ours.{lang}.four"] = _scores(y_dev, predicted, FOUR)
        result[f"ours.{lang}.all"] = _scores(y_dev, predicted, None)
        result[f"ours.{lang}.numbers"] = _scores(y_dev, predicted, ("MONEY", "PERCENT"))
    for name in spec["present"]:
        public, _ = load_dataset(Path(spec["public"]) / name, "entities")
        types = tuple(task.labels(public["train"]))
        X_dev, y_dev = task.xy(public["validation"])
        predicted = [list(tags) for tags in model.predict(X_dev)]
        result[f"public.{name}"] = _scores(y_dev, predicted, types)
    return result


def run(
    data_root: Path, experiment: Path = EXPERIMENT, mixes: dict[str, dict[str, float]] | None = None
) -> dict:
    from toolkit.dataset import build_dataset, training_snapshots
    from toolkit.dataset.public import import_public

    if not (CORPUS / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), CORPUS)
    imported = import_public(data_root, PUBLIC, exclude=CORPUS)
    present = [item.name for item in imported if item.status != "absent"]
    results: dict[str, Any] = {
        "experiment": str(experiment.relative_to(ROOT) if experiment.is_relative_to(ROOT) else experiment),
        "present": present,
        "skipped": [item.name for item in imported if item.status == "absent"],
        "train_rows": {item.name: item.rows.get("train", 0) for item in imported if item.status != "absent"},
        "mixes": {},
    }
    for label, mix in (mixes or MIXES).items():
        if not set(mix) <= set(present):
            log(f"sources: {label} skipped, it needs {', '.join(sorted(set(mix) - set(present)))}")
            continue
        log(f"sources: fitting {label}")
        spec = {"kind": "fit", "experiment": str(experiment), "corpus": str(CORPUS), "public": str(PUBLIC),
                "mix": mix, "present": present, "o_as_o": label in O_AS_O, "free": label in FREE}  # fmt: skip
        results["mixes"][label] = {"mix": mix, **run_worker(SCRIPT, spec)}
    return results


def markdown(results: dict[str, Any]) -> str:
    present = results["present"]
    header = [
        "training mix",
        "train rows",
        "train s (CPU s)",
        "FR 4 types",
        "FR all 6",
        "EN 4 types",
        "EN all 6",
        "MONEY+PERCENT FR / EN",
    ]
    header += [f"{SHORT[name]} dev" for name in present]
    rows = []
    for label, entry in results["mixes"].items():
        row = [label, f"{entry['rows']:,}", f"{entry['train_s']:.1f} ({entry['train_cpu_s']:.1f})"]
        row += [entry[f"ours.{lang}.{kind}"] for lang in ("fr", "en") for kind in ("four", "all")]
        numbers = [entry.get(f"ours.{lang}.numbers") for lang in ("fr", "en")]
        row.append(" / ".join("–" if value is None else f"{value:.3f}" for value in numbers))
        # A corpus the mix did not train on is marked: that column is the cross-source score.
        row += [f"{entry[f'public.{name}']:.3f}" + ("" if name in entry["mix"] else " ◦") for name in present]
        rows.append(row)
    notes = [
        f"Experiment: `{results['experiment']}`. Strict span F1 on dev splits (ours: validation). "
        "◦ = that corpus was not in the mix (cross-source). 4 types = PER/ORG/LOC/DATE; public corpora are scored "
        "on their own types (CoNLL, FiNER, Europeana: PER/ORG/LOC; HIPE, WiNER: PER/ORG/LOC/DATE). "
        "Train seconds are the tagger's fit alone, on a shared, loaded machine.",
        "Public train rows: "
        + ", ".join(f"{SHORT[n]} {c:,}" for n, c in results["train_rows"].items())
        + ".",
    ]
    if results["skipped"]:
        notes.append("Absent, skipped: " + ", ".join(results["skipped"]) + ".")
    return table(header, rows) + "\n\n" + "\n".join(notes)


def section(results: dict[str, Any], info: dict[str, str], command: str) -> str:
    title = "Entities: one training run over several corpora (issue 9)"
    return f"{section_head(title, info, command)}{markdown(results)}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--experiment", type=Path, default=EXPERIMENT.relative_to(ROOT))
    parser.add_argument("--mixes", help=f"comma-separated subset of: {', '.join(MIXES)}")
    parser.add_argument("--results", type=Path, help="RESULTS.md whose entity-sources section to replace")
    args = parser.parse_args()
    mixes = MIXES
    if args.mixes:
        chosen = [item.strip() for item in args.mixes.split(",")]
        unknown = [label for label in chosen if label not in MIXES]
        if unknown:
            parser.error(f"unknown mixes: {', '.join(unknown)} (known: {', '.join(MIXES)})")
        mixes = {label: MIXES[label] for label in chosen}
    info = machine()
    results = run(args.data, args.experiment.resolve(), mixes)
    info["load_end"] = load()
    command = "python bench/entity_sources.py " + " ".join(
        f"{flag} {value}"
        for flag, value in (("--data", args.data), ("--experiment", args.experiment), ("--mixes", args.mixes))
        if value  # fmt: skip
    )
    saved = {"machine": info, "results": results}
    finish(
        "entity_sources",
        saved,
        args.results,
        section(results, info, command),
        (BEGIN, END),
        markdown(results),
    )


if __name__ == "__main__" and not worker_main({"fit": fit_mix}):
    main()
