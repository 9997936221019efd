"""Claim classifier: which weak public sources and which features carry to real news, one at a time.

Rows add one thing to the base model (the shipped corpus alone, word n-grams + cue counts + structure patterns,
logistic regression): a weakly labelled public corpus mixed into training at a weight (`[[data.sources]]`), a
feature block, or everything chosen. Columns, all on data no row trained on:

- macro F1 on the shipped corpus's **validation** split (all, FR, EN) and per class;
- **FR→EN / EN→FR**: trained on one language only (`train_languages`, which leaves the English sources out of
  FR→EN and in EN→FR), scored on the other language's validation rows;
- **hedge F1**: F1 of the `uncertain` class (predicted SPECULATIVE) on the held-out Szeged Wikipedia documents
  (validation split of data/public/szeged-wiki), a proxy for FactBank news; marked * when Szeged's train split
  trains the row (the documents scored are still unseen, but the source is no longer);
- **OPINION vs rest**: macro F1 of SUBJ (predicted OPINION) against OBJ on NewsSD's val.csv (99 sentences, none
  of them in the shipped corpus); marked * when NewsSD's train split trains the row.

The test split is never scored here. `make public-claims` writes the weak datasets; this script builds them
when they are missing.

    python bench/claims_sources.py [--data ../shared/data] [--rows ROW ...] [--results bench/RESULTS.md]
    python bench/claims_sources.py [--data ../shared/data] --compare BEFORE_ROW AFTER_ROW   # paired bootstrap
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import DEFAULT_DATA, ROOT, log, machine, table, write_section

from toolkit.models.structure import SUBJECTIVITY, UNCERTAINTY

CORPUS = ROOT / "data" / "corpus"
PUBLIC = ROOT / "data" / "public"
BASE = {
    "classifier": "logreg",
    "word_ngram_range": (1, 2),
    "use_char": False,
    "use_cues": True,
    "use_structure": True,
    "C": 1.0,
    "class_weight": "balanced",
}
SZEGED = ("szeged-wiki", {"uncertain": "SPECULATIVE", "certain": ""})
SZEGED_FACT = ("szeged-wiki", {"uncertain": "SPECULATIVE", "certain": "FACT"})
MEANTIME = (
    "meantime-factuality",
    {"hedged": "SPECULATIVE", "future": "FORECAST", "certain": "", "no_event": ""},
)
MEANTIME_FACT = (
    "meantime-factuality",
    {"hedged": "SPECULATIVE", "future": "FORECAST", "certain": "FACT", "no_event": ""},
)
POLNEAR = ("polnear", {"speech": "REPORTED", "belief": "", "none": ""})
POLNEAR_OPINION = ("polnear", {"speech": "REPORTED", "belief": "OPINION", "none": ""})
NEWSSD = ("newssd", {"SUBJ": "OPINION", "OBJ": ""})
NEWSSD_FACT = ("newssd", {"SUBJ": "OPINION", "OBJ": "FACT"})

# Candidate and appended structure patterns (toolkit.models.structure), one row each over the base.
PATTERN_ROWS = (
    "evaluative", "intensifier", "normative", "exclamation", "rhetorical_question", "second_person",
    "superlative", "weasel", "epistemic_frame", "early_stage", "main_clause_hedge", "subjectivity", "uncertainty",
)  # fmt: skip
# The model's grouped features, each of its patterns as a feature of its own.
OPINION_PATTERNS, HEDGE_PATTERNS = SUBJECTIVITY, UNCERTAINTY
# name → (model parameters over BASE, [(source, labels, weight)])
ROWS: dict[str, tuple[dict[str, Any], list[tuple[str, dict[str, str], float]]]] = {
    "base: corpus, words + cues + structure": ({}, []),
    "n-grams only (no cues, no structure)": ({"use_cues": False, "use_structure": False}, []),
    "+ character n-grams": ({"use_char": True}, []),
    "+ szeged uncertain→SPEC, w 0.1": ({}, [(*SZEGED, 0.1)]),
    "+ szeged uncertain→SPEC, w 0.3": ({}, [(*SZEGED, 0.3)]),
    "+ szeged uncertain→SPEC, w 1": ({}, [(*SZEGED, 1.0)]),
    "+ szeged uncertain→SPEC certain→FACT, w 0.3": ({}, [(*SZEGED_FACT, 0.3)]),
    "+ meantime hedged→SPEC future→FORECAST, w 0.5": ({}, [(*MEANTIME, 0.5)]),
    "+ meantime ... certain→FACT, w 0.5": ({}, [(*MEANTIME_FACT, 0.5)]),
    "+ polnear speech→REPORTED, w 0.3": ({}, [(*POLNEAR, 0.3)]),
    "+ polnear ... belief→OPINION, w 0.3": ({}, [(*POLNEAR_OPINION, 0.3)]),
    "+ newssd SUBJ→OPINION, w 0.3": ({}, [(*NEWSSD, 0.3)]),
    "+ newssd SUBJ→OPINION, w 1": ({}, [(*NEWSSD, 1.0)]),
    "+ newssd SUBJ→OPINION OBJ→FACT, w 1": ({}, [(*NEWSSD_FACT, 1.0)]),
    # The rows above use the first FIRST_PATTERNS structure patterns; these add the four that follow them.
    "+ intent / prediction / negated-modal / unnamed-source patterns": ({"new_patterns": True}, []),
    "+ every source at its best weight above, new patterns": (
        {"new_patterns": True},
        [(*SZEGED, 0.1), (*MEANTIME, 0.5), (*POLNEAR, 0.3), (*NEWSSD, 0.3)],
    ),
    # experiments/claims-transfer-weak.toml: the two sources that helped their own held-out set most per point lost.
    "+ szeged w 0.1 + newssd w 0.3, new patterns, C 0.5": (
        {"new_patterns": True, "C": 0.5},
        [(*SZEGED, 0.1), (*NEWSSD, 0.3)],
    ),
    # experiments/claims-transfer.toml: C = 0.5 is what its cv = "source" search picks of 0.5, 1 and 2.
    "chosen: claims-transfer (new patterns, C 0.5, no source)": ({"new_patterns": True, "C": 0.5}, []),
    # Sentence-level subjectivity and hedge patterns, one at a time over the base (its FIRST_PATTERNS), then together.
    **{f"+ pattern {name}": ({"patterns": (name,)}, []) for name in PATTERN_ROWS},
    "+ the six subjectivity patterns, each its own feature": ({"patterns": OPINION_PATTERNS}, []),
    "+ the three hedge patterns, each its own feature": ({"patterns": HEDGE_PATTERNS}, []),
    "+ all nine, each its own feature": ({"patterns": OPINION_PATTERNS + HEDGE_PATTERNS}, []),
    "+ subjectivity + uncertainty (one feature per group)": (
        {"patterns": ("subjectivity", "uncertainty")},
        [],
    ),
    "+ subjectivity + uncertainty + main_clause_hedge": (
        {"patterns": ("subjectivity", "uncertainty", "main_clause_hedge")},
        [],
    ),
    "+ subjectivity + uncertainty, new patterns (C 1)": (
        {"new_patterns": True, "patterns": ("subjectivity", "uncertainty")},
        [],
    ),
    "claims-transfer-weak + subjectivity + uncertainty": (
        {"new_patterns": True, "C": 0.5, "patterns": ("subjectivity", "uncertainty")},
        [(*SZEGED, 0.1), (*NEWSSD, 0.3)],
    ),
    # experiments/claims-transfer.toml as it fits now: every structure pattern of the model, C 0.5.
    "chosen: claims-transfer + subjectivity + uncertainty (C 0.5)": (
        {"new_patterns": True, "C": 0.5, "patterns": ("subjectivity", "uncertainty")},
        [],
    ),
    # experiments/claims-char-weak.toml: claims-transfer-weak with character 3-5-grams at C 2 (corpus of batches 1-3).
    "claims-char-weak: + char 3-5-grams, C 2": (
        {
            "new_patterns": True,
            "C": 2.0,
            "use_char": True,
            "char_ngram_range": (3, 5),
            "patterns": ("subjectivity", "uncertainty"),
        },
        [(*SZEGED, 0.1), (*NEWSSD, 0.3)],
    ),
}
CLASSES = ("SPECULATIVE", "REPORTED", "OPINION", "FORECAST")


def _experiment(params: dict[str, Any], sources: list[tuple[str, dict[str, str], float]], languages=()):
    from toolkit.training.experiments import Experiment, Source

    return Experiment(
        path=Path("bench/claims_sources.py"),
        name="claims-sources",
        task="claims",
        description="",
        estimator="ClaimClassifier",
        params={**BASE, **params},
        data_path=CORPUS,
        source="",
        train_languages=tuple(languages),
        sources=tuple(Source(name, PUBLIC / name, weight, labels) for name, labels, weight in sources),
    )


@contextmanager
def _patterns(every: bool, extra: tuple[str, ...] = ()):
    """The structure patterns a row fits with: the first SECOND_PATTERNS (`every`) or the first FIRST_PATTERNS
    (the rows before the four patterns that followed were added), then the `extra` ones named, from those
    appended to the model's list since and from CANDIDATE_PATTERNS (measured, left out of the model)."""
    from toolkit.models import claims, structure

    kept = structure.STRUCTURE_PATTERNS
    later = dict(kept[structure.SECOND_PATTERNS :] + structure.CANDIDATE_PATTERNS)
    unknown = [name for name in extra if name not in later]
    if unknown:
        raise ValueError(f"no structure pattern named {unknown}")
    chosen = kept[: structure.SECOND_PATTERNS if every else structure.FIRST_PATTERNS]
    chosen = chosen + [(name, later[name]) for name in extra]
    claims.STRUCTURE_PATTERNS = structure.STRUCTURE_PATTERNS = chosen
    try:
        yield
    finally:
        claims.STRUCTURE_PATTERNS = structure.STRUCTURE_PATTERNS = kept


def _fit(experiment, dataset, task) -> Any:
    from toolkit.project import SEED
    from toolkit.training.experiments import build_estimator
    from toolkit.training.sources import training_set

    train = dataset["train"]
    keep = [i for i, lang in enumerate(train["lang"]) if lang in (experiment.train_languages or (lang,))]
    X, y = task.xy(train)
    mixed = training_set(
        experiment,
        task,
        X[keep],
        [y[i] for i in keep],
        [train["article_id"][i] for i in keep],
        [train["lang"][i] for i in keep],
    )
    return build_estimator(experiment, SEED).fit(mixed.X, mixed.y, **mixed.fit_params)


def _binary_f1(gold: list[bool], predicted: list[bool], average: str) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, average=average, pos_label=True, zero_division=0))


def _heldout(name: str) -> tuple[list[str], list[str]] | None:
    """(sentences, labels) of a public dataset's validation split, or None when it is absent."""
    from toolkit.dataset import load_dataset

    if not (PUBLIC / name / "manifest.json").is_file():
        return None
    dataset, _ = load_dataset(PUBLIC / name, "claims")
    names = dataset["validation"].features["label"].names
    return list(dataset["validation"]["text"]), [names[i] for i in dataset["validation"]["label"]]


def run(shared: Path, rows: tuple[str, ...] | None = None) -> dict[str, Any]:
    from toolkit.dataset import build_dataset, load_dataset, training_snapshots
    from toolkit.dataset.public_claims import build_public_claims
    from toolkit.models.metrics import classification_metrics
    from toolkit.tasks import task_spec

    if not (CORPUS / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), CORPUS)
    public = build_public_claims(shared, CORPUS, PUBLIC)
    dataset, manifest = load_dataset(CORPUS, "claims")
    task = task_spec("claims")
    labels = task.labels(dataset["train"])
    validation = dataset["validation"]
    vX, vy = task.xy(validation)
    by_lang = {lang: [i for i, x in enumerate(validation["lang"]) if x == lang] for lang in ("fr", "en")}
    hedges, subjective = _heldout("szeged-wiki"), _heldout("newssd")

    def macro(model, rows: list[int] | None = None) -> dict[str, Any]:
        rows = list(range(len(vy))) if rows is None else rows
        predicted = list(model.predict(vX[rows]))
        return classification_metrics([vy[i] for i in rows], predicted, labels)

    results: dict[str, Any] = {"data_version": manifest["version"], "skipped": public.skipped, "rows": {}}
    # Every source is English: a French-only fit leaves them all out, so rows of equal parameters share it.
    french: dict[str, Any] = {}
    for name, (params, sources) in ROWS.items():
        if rows and name not in rows:
            continue
        missing = [source for source, _, _ in sources if source in public.skipped]
        if missing:
            results["rows"][name] = {"skipped": missing}
            continue
        began = time.perf_counter()
        params = dict(params)
        every = params.pop("new_patterns", False)
        extra = tuple(params.pop("patterns", ()))
        with _patterns(every, extra):
            both = _fit(_experiment(params, sources), dataset, task)
            key = repr((every, extra, sorted(params.items())))
            if key not in french:
                french[key] = _fit(_experiment(params, sources, ("fr",)), dataset, task)
            fr = french[key]
            en = _fit(_experiment(params, sources, ("en",)), dataset, task)
        scores = macro(both)
        trained = {source for source, _, _ in sources}
        row = {
            "validation": scores["macro_f1"],
            "validation.fr": macro(both, by_lang["fr"])["macro_f1"],
            "validation.en": macro(both, by_lang["en"])["macro_f1"],
            "FR→EN": macro(fr, by_lang["en"])["macro_f1"],
            "EN→FR": macro(en, by_lang["fr"])["macro_f1"],
            **{f"f1.{label}": scores.get(f"f1.{label}", 0.0) for label in CLASSES},
        }
        row["seen"] = sorted(trained & {"szeged-wiki", "newssd"})
        if hedges:
            predicted = both.predict(hedges[0])
            row["hedge_f1"] = _binary_f1(
                [label == "uncertain" for label in hedges[1]],
                [p == "SPECULATIVE" for p in predicted],
                "binary",
            )
        if subjective:
            predicted = both.predict(subjective[0])
            row["opinion_macro_f1"] = _binary_f1(
                [label == "SUBJ" for label in subjective[1]], [p == "OPINION" for p in predicted], "macro"
            )
        row["seconds"] = time.perf_counter() - began
        results["rows"][name] = row
        log(f"claims sources {name}: {row}")
    return results


def compare(shared: Path, before: str, after: str, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Paired bootstrap of two ROWS over the scored sentences of each column: the difference (after - before) on
    the full set, its 95 % interval and the share of resamples where `after` scores higher. The same sentences
    are drawn for both rows, so the interval is that of the difference, narrower than those of the two scores."""
    import numpy as np
    from sklearn.metrics import f1_score

    from toolkit.dataset import build_dataset, load_dataset, training_snapshots
    from toolkit.dataset.public_claims import build_public_claims
    from toolkit.models.metrics import classification_metrics
    from toolkit.tasks import task_spec

    if not (CORPUS / "manifest.json").is_file():
        build_dataset(training_snapshots(ROOT / "annotations" / "training.toml"), CORPUS)
    build_public_claims(shared, CORPUS, PUBLIC)
    dataset, _ = load_dataset(CORPUS, "claims")
    task = task_spec("claims")
    labels = task.labels(dataset["train"])
    validation = dataset["validation"]
    vX, vy = task.xy(validation)
    vy = np.asarray(vy)
    lang = np.asarray(validation["lang"])
    hedges, subjective = _heldout("szeged-wiki"), _heldout("newssd")

    def models(name: str) -> dict[str, Any]:
        params, sources = ROWS[name]
        params = dict(params)
        every = params.pop("new_patterns", False)
        extra = tuple(params.pop("patterns", ()))
        with _patterns(every, extra):
            return {
                key: _fit(_experiment(params, sources, languages), dataset, task)
                for key, languages in (("both", ()), ("fr", ("fr",)), ("en", ("en",)))
            }

    fitted = {name: models(name) for name in (before, after)}

    def macro(gold, predicted) -> float:
        return classification_metrics(list(gold), list(predicted), labels)["macro_f1"]

    columns = {
        "validation": ("both", vX, vy, None, macro),
        "FR→EN": ("fr", vX[lang == "en"], vy[lang == "en"], None, macro),
        "EN→FR": ("en", vX[lang == "fr"], vy[lang == "fr"], None, macro),
    }
    if hedges:
        gold = np.asarray([label == "uncertain" for label in hedges[1]])
        columns["hedge_f1"] = (
            "both",
            hedges[0],
            gold,
            "SPECULATIVE",
            lambda g, p: f1_score(g, p, zero_division=0),
        )
    if subjective:
        gold = np.asarray([label == "SUBJ" for label in subjective[1]])
        columns["opinion_macro_f1"] = (
            "both",
            subjective[0],
            gold,
            "OPINION",
            lambda g, p: f1_score(g, p, average="macro", zero_division=0),
        )
    rng = np.random.default_rng(seed)
    results: dict[str, Any] = {"before": before, "after": after, "resamples": resamples, "columns": {}}
    for column, (key, X, gold, positive, score) in columns.items():
        predicted = []
        for name in (before, after):
            labels_out = np.asarray(fitted[name][key].predict(X))
            predicted.append(labels_out == positive if positive else labels_out)
        differences = []
        for _ in range(resamples):
            rows = rng.integers(0, len(gold), len(gold))
            differences.append(score(gold[rows], predicted[1][rows]) - score(gold[rows], predicted[0][rows]))
        differences = np.asarray(differences)
        results["columns"][column] = {
            "difference": score(gold, predicted[1]) - score(gold, predicted[0]),
            "low": float(np.percentile(differences, 2.5)),
            "high": float(np.percentile(differences, 97.5)),
            "after_higher": float(np.mean(differences > 0)),
        }
        log(f"claims compare {column}: {results['columns'][column]}")
    return results


def _cell(value: Any, seen: bool) -> Any:
    return f"{value:.3f}*" if seen and isinstance(value, float) else value


def markdown(results: dict[str, Any]) -> str:
    keys = ("validation", "validation.fr", "validation.en", "FR→EN", "EN→FR",
            *(f"f1.{label}" for label in CLASSES), "hedge_f1", "opinion_macro_f1")  # fmt: skip
    header = ["row", "val macro F1", "val FR", "val EN", "FR→EN", "EN→FR",
              *(f"{label[:4]} F1" for label in CLASSES), "hedge F1 (szeged val)", "OPINION/rest (newssd val)"]  # fmt: skip
    rows = []
    for name, row in results["rows"].items():
        if "skipped" in row:
            rows.append([name, f"skipped: {', '.join(row['skipped'])} absent", *[""] * (len(keys) - 1)])
        else:
            seen = {
                "hedge_f1": "szeged-wiki" in row.get("seen", ()),
                "opinion_macro_f1": "newssd" in row.get("seen", ()),
            }
            rows.append([name, *(_cell(row.get(key, "—"), seen.get(key, False)) for key in keys)])
    skipped = ", ".join(results.get("skipped") or {}) or "none"
    return (
        f"Shipped corpus {results['data_version']}; public sources absent: {skipped}. Validation only.\n\n"
        + table(header, rows)
    )


BEGIN, END = "<!-- claims-sources:begin -->", "<!-- claims-sources:end -->"


def section(results: dict[str, Any], info: dict[str, str], commands: list[str]) -> str:
    """The RESULTS.md section of a run of this script alone (`make bench` puts the same table in its own)."""
    return "\n".join(
        [
            "## Claims: weak public sources and features that carry (issue 9)",
            f"- Date: {info['date']}; load average (1/5/15 min) {info['load']} at the start: the 2 cores were shared"
            " with other jobs, so the seconds in the raw numbers say nothing about speed.",
            f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']}; Python {info['python']}.",
            "- Command(s): " + "; ".join(f"`{command}`" for command in commands),
            "",
            "\n\n".join(__doc__.split("\n\n")[1:-1]),
            "",
            markdown(results),
            "",
        ]
    )


def main() -> None:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rows", nargs="+", help="only these rows (names as in ROWS)")
    parser.add_argument("--results", type=Path, help="RESULTS.md to write this script's section into")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("BEFORE", "AFTER"),
        help="paired bootstrap of two rows (names as in ROWS) instead of the table",
    )
    args = parser.parse_args()
    info = machine()
    if args.compare:
        compared = compare(args.data, *args.compare)
        print(
            table(
                ["column", "after - before", "95 % interval", "resamples where after is higher"],
                [
                    [
                        column,
                        f"{c['difference']:+.3f}",
                        f"[{c['low']:+.3f}, {c['high']:+.3f}]",
                        f"{c['after_higher']:.2f}",
                    ]
                    for column, c in compared["columns"].items()
                ],
            )
        )
        return
    results = run(args.data, tuple(args.rows or ()) or None)
    print(markdown(results))
    print(json.dumps(results, indent=1))
    if args.results:
        write_section(args.results, section(results, info, [" ".join(["python", *sys.argv])]), BEGIN, END)


if __name__ == "__main__":
    main()
