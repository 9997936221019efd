"""EntityTagger feature ablation (issue 9): rules, word clusters, gazetteer, word dropout; in-corpus and across.

    python bench/entity_features.py [--data ../shared/data] [--results bench/RESULTS.md]

Each row is experiments/entities-rich.toml's tagger with every feature of issue 9 off, then the row's switched
on (the chosen defaults: rules + clusters + word dropout 0.3), random_state 13, in a process of its own. All scores are strict span F1
(conlleval semantics) on dev splits, never on a test set:

- shipped: the corpus `make train` builds (train → validation), with MONEY/PERCENT/DATE F1 alone;
  FR → EN and EN → FR: trained on one language's train rows, scored on the other's validation rows.
- shipped FR → HIPE dev and → Europeana (its 20% seeded dev blocks): the French-only model, on PER/LOC/ORG.
- CoNLL train → testa (in-corpus), → FiNER-ORD val and → the shipped corpus's English validation rows
  (PER/LOC/ORG). Train seconds and predict tokens/s (best of three, features included) are CoNLL's.

The cluster file is annotations/clusters/wikinews-newssd.tsv.gz (CC BY text only, see annotations/SOURCES.md):
it holds the shipped corpus's own articles (train, validation and test, unlabelled), none of CoNLL, FiNER, HIPE
or Europeana.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_DATA,
    ROOT,
    SEED,
    WORK,
    best_of,
    import_dataset,
    load,
    log,
    machine,
    run_worker,
    table,
    worker_main,
    write_section,
)

SCRIPT = Path(__file__).resolve()
BEGIN, END = "<!-- bench:entity-features:begin -->", "<!-- bench:entity-features:end -->"
CLUSTERS = "annotations/clusters/wikinews-newssd.tsv.gz"
# The features of issue 9 all off: the base every row starts from, whatever the experiment file now chooses.
OFF = {
    "rule_features": False,
    "clusters": None,
    "gazetteer": False,
    "word_dropout": 0.0,
    "dropout_affixes": False,
}
CONFIGS = {
    "base": {},
    "+rules": {"rule_features": True},
    "+clusters": {"clusters": CLUSTERS},
    "+gazetteer": {"gazetteer": True},
    "+word dropout 0.3": {"word_dropout": 0.3},
    "+word dropout 0.3, affixes too": {"word_dropout": 0.3, "dropout_affixes": True},
    "rules + clusters": {"rule_features": True, "clusters": CLUSTERS},
    "rules + clusters + word dropout 0.3": {"rule_features": True, "clusters": CLUSTERS, "word_dropout": 0.3},
    "rules + clusters + dropout (affixes)": {
        "rule_features": True,
        "clusters": CLUSTERS,
        "word_dropout": 0.3,
        "dropout_affixes": True,
    },
}
PLO = ("PER", "LOC", "ORG")
SHIPPED_DATA = ROOT / "data" / "corpus"


def _xy(path: Path, split: str, lang: str | None = None) -> tuple[list, list]:
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS

    rows = load_dataset(path, "entities")[0][split]
    if lang is not None:
        rows = rows.filter(lambda row: row["lang"] == lang)
    return TASKS["entities"].xy(rows)


def _f1(gold: list, predicted: list, types: tuple[str, ...] | None = None) -> dict[str, float]:
    from toolkit.models.metrics import span_metrics

    def keep(tags: list[str]) -> list[str]:
        return [t if types is None or t == "O" or t[2:] in types else "O" for t in tags]

    return span_metrics([keep(t) for t in gold], [keep(list(t)) for t in predicted])


def evaluate(spec: dict[str, Any]) -> dict[str, Any]:
    """One configuration on every setting whose data is present."""
    from toolkit.models.tagger import EntityTagger
    from toolkit.training.experiments import load_experiment

    params = {**load_experiment(ROOT / "experiments" / "entities-rich.toml").params, **OFF, **spec["params"]}
    params.update(random_state=SEED)
    if spec["params"].get("clusters"):
        params["clusters"] = str(ROOT / spec["params"]["clusters"])
    out: dict[str, Any] = {}
    shipped = Path(spec["shipped"])
    X, y = _xy(shipped, "train")
    X_dev, y_dev = _xy(shipped, "validation")
    scores = _f1(y_dev, EntityTagger(**params).fit(X, y).predict(X_dev))
    out["shipped"] = scores["span_f1"]
    out.update({kind: scores.get(f"span_f1.{kind}", 0.0) for kind in ("MONEY", "PERCENT", "DATE")})
    french = EntityTagger(**params).fit(*_xy(shipped, "train", "fr"))
    english = EntityTagger(**params).fit(*_xy(shipped, "train", "en"))
    X_en, y_en = _xy(shipped, "validation", "en")
    X_fr, y_fr = _xy(shipped, "validation", "fr")
    out["fr→en"] = _f1(y_en, french.predict(X_en))["span_f1"]
    out["en→fr"] = _f1(y_fr, english.predict(X_fr))["span_f1"]
    for name, path in spec["french"].items():
        X_other, y_other = _xy(Path(path), "validation")
        out[f"fr→{name}"] = _f1(y_other, french.predict(X_other), PLO)["span_f1"]
    if "conll" in spec["corpora"]:
        X, y = _xy(Path(spec["corpora"]["conll"]), "train")
        X_dev, y_dev = _xy(Path(spec["corpora"]["conll"]), "validation")
        began = time.perf_counter()
        model = EntityTagger(**params).fit(X, y)
        out["train_s"] = time.perf_counter() - began
        seconds, predicted = best_of(lambda: model.predict(X_dev), repeat=3)
        out["conll"] = _f1(y_dev, predicted)["span_f1"]
        out["tokens_per_s"] = sum(map(len, X_dev)) / seconds
        out["conll→shipped en"] = _f1(y_en, model.predict(X_en), PLO)["span_f1"]
        if "finer" in spec["corpora"]:
            X_finer, y_finer = _xy(Path(spec["corpora"]["finer"]), "validation")
            out["conll→finer"] = _f1(y_finer, model.predict(X_finer), PLO)["span_f1"]
    return out


CORPORA = {
    "conll": ("conll2003", ["conll2003-en/eng.train", "conll2003-en/eng.testa"], {}),
    "finer": ("finer", ["finer-ord/train.csv", "finer-ord/val.csv"], {}),
    "hipe": (
        "hipe",
        ["hipe2020-fr/HIPE-data-v0.9-train-fr.tsv", "hipe2020-fr/HIPE-data-v1.4-dev-fr.tsv"],
        {},
    ),
    "europeana": (
        "europeana",
        ["europeana-ner-fr/enp_FR.bnf.bio"],
        {"validation_fraction": 0.2, "test_fraction": 0.0},
    ),
}


def run(data_root: Path, only: list[str] | None = None) -> dict[str, Any]:
    """Every row of CONFIGS (or the rows `only` names, the others kept from the last run's JSON)."""
    from toolkit.dataset import build_dataset, training_snapshots

    if not (SHIPPED_DATA / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), SHIPPED_DATA)
    corpora, skipped = {}, []
    for key, (format, files, options) in CORPORA.items():
        paths = [data_root / file for file in files]
        if all(path.is_file() for path in paths):
            log(f"entity features: importing {key}")
            corpora[key] = str(import_dataset(format, paths, f"features-{key}", **options))
        else:
            skipped.append(key)
    french = {key: corpora.pop(key) for key in ("hipe", "europeana") if key in corpora}
    saved = WORK / "entity_features.json"
    rows = json.loads(saved.read_text())["rows"] if only and saved.is_file() else {}
    for name, params in CONFIGS.items():
        if only and name not in only:
            continue
        log(f"entity features: {name}")
        spec = {"kind": "evaluate", "params": params, "shipped": str(SHIPPED_DATA), "french": french}
        rows[name] = run_worker(SCRIPT, {**spec, "corpora": corpora})
        log(f"entity features: {name}: {rows[name]}")
    rows = {name: rows[name] for name in CONFIGS if name in rows}
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps({"rows": rows}, indent=1))
    return {"rows": rows, "skipped": skipped}


COLUMNS = ["shipped", "MONEY", "PERCENT", "DATE", "fr→en", "en→fr", "fr→hipe", "fr→europeana", "conll",
           "conll→finer", "conll→shipped en", "train_s", "tokens_per_s"]  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    header = ["features", "shipped dev", "MONEY", "PERCENT", "DATE", "FR→EN", "EN→FR", "FR→HIPE dev*",
              "FR→Europeana*", "CoNLL testa", "CoNLL→FiNER val*", "CoNLL→shipped EN*", "CoNLL train s",
              "predict tokens/s"]  # fmt: skip
    rows = [[name, *(row.get(column, "–") for column in COLUMNS)] for name, row in results["rows"].items()]
    note = "\n\n\\* PER/LOC/ORG only (the types both sides share)."
    if results["skipped"]:
        note += f" Absent, skipped: {', '.join(results['skipped'])}."
    return table(header, rows) + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--results", type=Path, help="RESULTS.md whose entity-features section to replace")
    parser.add_argument("--rows", help="comma-separated rows to rerun; the others come from the last run")
    args = parser.parse_args()
    info = machine()
    began = time.perf_counter()
    results = run(args.data, args.rows.split(",") if args.rows else None)
    body = markdown(results)
    section = (
        "## Entity tagger features: ablation on dev, in-corpus and across (issue 9)\n\n"
        f"- Date: {info['date']}; {(time.perf_counter() - began) / 60:.1f} min; load average (1/5/15 min) "
        f"{info['load']} at the start, {load()} at the end, on {info['cpus']} shared CPUs ({info['cpu']}): "
        "other work ran beside it, so the seconds and tokens/s are rough.\n"
        f"- Command: `python {shlex.join(sys.argv)}`"
        + (" (the other rows from the previous run, same day and machine)" if args.rows else "")
        + ".\n\n"
        + __doc__.split("\n\n", 2)[2].strip()
        + "\n\n"
        + body
        + "\n"
    )
    if args.results:
        write_section(args.results, section, BEGIN, END)
    print(section)
    print(json.dumps(results, indent=1))


if __name__ == "__main__" and not worker_main({"evaluate": evaluate}):
    main()
