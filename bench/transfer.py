"""Variants of a shipped experiment, each fitted as `toolkit train` fits it and judged as `toolkit runs select`
judges it: our validation split and the public dev sets present, and their mean (issue 9).

    python bench/transfer.py [--data ../shared/data] [--experiment experiments/entities-multi.toml] [--rows 'a,b']
                             [--results bench/RESULTS.md]

A row changes one thing in the experiment (a model parameter, a source's weight or label map) and is fitted in a
process of its own with `toolkit.training.fit.fit(..., judges="data/public")`; the columns are what the run
would log: `validation.span_f1` (ours), each judge's `validation.<corpus>.span_f1` (on the types it annotates),
`validation.transfer.span_f1` (their unweighted mean, what selection chooses by), and ours per type. The public
corpora of --data are imported into data/public first when missing or stale (as `make public-data` does); absent
ones are left out of the mean, as in a run. Test splits are never read.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_DATA,
    ROOT,
    finish,
    load,
    log,
    machine,
    run_worker,
    section_head,
    table,
    worker_main,
)

SCRIPT = Path(__file__).resolve()
EXPERIMENT = Path("experiments/entities-multi.toml")
JUDGES_DIR = Path("data/public")
BEGIN, END = "<!-- transfer:begin -->", "<!-- transfer:end -->"
JUDGES = ("winer-fr", "conll2003-en", "europeana-ner-fr", "hipe2020-fr", "finer-ord")
SHORT = {"winer-fr": "WiNER", "conll2003-en": "CoNLL", "europeana-ner-fr": "Europeana",
         "hipe2020-fr": "HIPE", "finer-ord": "FiNER"}  # fmt: skip
TYPES = ("PER", "ORG", "LOC", "DATE", "MONEY", "PERCENT")


def _params(**changes: Any) -> Callable[[Any], Any]:
    def change(experiment: Any) -> Any:
        return dataclasses.replace(experiment, params={**experiment.params, **changes})

    return change


def _source(name: str, **changes: Any) -> Callable[[Any], Any]:
    def change(experiment: Any) -> Any:
        sources = tuple(
            dataclasses.replace(source, **changes) if source.name == name else source
            for source in experiment.sources
        )
        return dataclasses.replace(experiment, sources=sources)

    return change


def _both(*changes: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def change(experiment: Any) -> Any:
        for one in changes:
            experiment = one(experiment)
        return experiment

    return change


# name → change to the experiment. Edit freely: every row is one fit (about two minutes for entities-multi).
ROWS: dict[str, Callable[[Any], Any]] = {
    "as shipped": lambda experiment: experiment,
    "WiNER's and HIPE's DATE not partial": _both(
        _source("winer-fr", partial=()), _source("hipe2020-fr", partial=())
    ),
    "alpha 0.5": _params(alpha=0.5),
    "alpha 2": _params(alpha=2.0),
    "word dropout 0.1": _params(word_dropout=0.1),
    "HIPE at weight 1.0": _source("hipe2020-fr", weight=1.0),
    "WiNER's and HIPE's dates dropped": _both(
        _source("winer-fr", labels={"DATE": ""}), _source("hipe2020-fr", labels={"DATE": ""})
    ),
    # Built by: toolkit clusters build S/winer-fr/2016 S/winer-fr/2017 S/meantime-en/text S/newssd-subjectivity/
    # train.csv S/newssd-subjectivity/val.csv data/public/{conll2003-en,europeana-ner-fr,hipe2020-fr,finer-ord,
    # polnear,szeged-wiki} -o data/clusters/all-text.tsv.gz (S = ../shared/data; 1.9 M tokens, 34,464 words).
    "clusters from every corpus's train text": _params(clusters="data/clusters/all-text.tsv.gz"),
}


def fit_row(spec: dict[str, Any]) -> dict[str, Any]:
    """One variant, fitted and judged; run in its own process."""
    import os
    import time

    from toolkit.training.experiments import load_experiment
    from toolkit.training.fit import fit

    os.chdir(ROOT)  # the experiment's data and sources paths are the project's
    experiment = ROWS[spec["row"]](load_experiment(spec["experiment"]))
    began = time.perf_counter()
    metrics = fit(experiment, judges=spec["judges"]).metrics
    keep = ["validation.span_f1", "validation.transfer.span_f1"]
    keep += [f"validation.{name}.span_f1" for name in JUDGES]
    keep += [f"validation.span_f1.{kind}" for kind in TYPES]
    return {"seconds": time.perf_counter() - began, **{key: metrics.get(key) for key in keep}}


def run(
    data_root: Path | None = None,
    experiment: Path = EXPERIMENT,
    rows: list[str] | None = None,
    judges: Path = JUDGES_DIR,
) -> dict[str, Any]:
    """Every row (or `rows`), after importing the public corpora of `data_root` that are missing or stale (the
    same import as `make public-data`, into the project's data/public, which the experiments' sources name)."""
    if data_root is not None:
        from toolkit.dataset import build_dataset, training_snapshots
        from toolkit.dataset.public import import_public

        corpus = ROOT / "data" / "corpus"
        if not (corpus / "manifest.json").is_file():
            build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), corpus)
        import_public(data_root, ROOT / judges, exclude=corpus)
    results = {}
    for row in list(ROWS) if rows is None else rows:
        log(f"transfer: {row}")
        spec = {"kind": "fit", "row": row, "experiment": str(experiment), "judges": str(ROOT / judges)}
        results[row] = run_worker(SCRIPT, spec)
        log(f"transfer: {row}: {results[row]}")
    return results


def markdown(results: dict[str, Any]) -> str:
    header = ["variant", "mean (select)", "ours", *(f"{SHORT[n]} dev" for n in JUDGES), *TYPES, "fit s"]
    rows = []
    for name, row in results.items():
        values = [row["validation.transfer.span_f1"], row["validation.span_f1"]]
        values += [row[f"validation.{judge}.span_f1"] for judge in JUDGES]
        values += [row[f"validation.span_f1.{kind}"] for kind in TYPES]
        rows.append([name, *("–" if value is None else value for value in values), row["seconds"]])
    return table(header, rows)


def section(results: dict[str, Any], info: dict[str, str], command: str) -> str:
    title = "Entities: variants of entities-multi judged as selection judges them (issue 9)"
    return (
        f"{section_head(title, info, command)}{markdown(results)}\n\nStrict span F1 on dev splits: ours = the "
        "shipped corpus's validation split (all six types, then per type); each public corpus on the types it "
        "annotates; mean = `validation.transfer.span_f1`, what `toolkit runs select` chooses by.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--experiment", type=Path, default=EXPERIMENT)
    parser.add_argument("--rows", help=f"comma-separated subset of: {', '.join(ROWS)}")
    parser.add_argument("--results", type=Path, help="RESULTS.md whose transfer section to replace")
    args = parser.parse_args()
    rows = [row.strip() for row in args.rows.split(",")] if args.rows else list(ROWS)
    unknown = [row for row in rows if row not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)} (known: {', '.join(ROWS)})")
    info = machine()
    results = run(args.data, args.experiment, rows)
    info["load_end"] = load()
    command = f"python bench/transfer.py --experiment {args.experiment}" + (
        f" --rows '{args.rows}'" if args.rows else ""
    )
    saved = {"machine": info, "results": results}
    finish("transfer", saved, args.results, section(results, info, command), (BEGIN, END), markdown(results))


if __name__ == "__main__" and not worker_main({"fit": fit_row}):
    main()
