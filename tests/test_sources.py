"""`[[data.sources]]`: corpora mixed into one training run, with weights, label maps and per-source scores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.training.experiments import load_experiment

ENTITIES = """
[experiment]
task = "entities"

[model]
estimator = "EntityTagger"
n_features = 16384
max_iter = 3
"""

CLAIMS = """
[experiment]
task = "claims"

[model]
estimator = "ClaimClassifier"
use_char = false
"""


def write(tmp_path: Path, text: str, name: str = "e.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def conll_corpus(tmp_path: Path) -> Path:
    """A CoNLL-style corpus with a MISC type we do not have, imported as `toolkit dataset import` does."""
    from toolkit.dataset.importers import import_corpus

    lines = []
    for i in range(24):
        lines += [
            "-DOCSTART- O",
            "",
            f"Nordbank{i} B-ORG",
            "hired O",
            "Anna B-PER",
            "Berg I-PER",
            "in O",
            "Oslo B-LOC",
            ", O",
            "a O",
            "German B-MISC",
            "said O",
            ". O",
            "",
        ]
    source = tmp_path / "conll.txt"
    source.write_text("\n".join(lines) + "\n")
    output = tmp_path / "conll-data"
    import_corpus("conll", [source], output, lang="en", validation_fraction=0.25, test_fraction=0.0)
    return output


@pytest.fixture
def corpus(small_export, tmp_path) -> Path:
    from toolkit.dataset import build_dataset

    data = tmp_path / "corpus"
    build_dataset([small_export], data, validation_fraction=0.25, test_fraction=0.25)
    return data


def source_block(path: Path, extra: str = "") -> str:
    return f'\n[data]\n[[data.sources]]\nname = "conll"\npath = "{path}"\nweight = 0.5\n{extra}'


def test_a_source_trains_with_its_weight_and_is_scored_on_its_own(corpus, tmp_path):
    from toolkit.training.fit import fit

    source = conll_corpus(tmp_path)
    result = fit(write(tmp_path, ENTITIES + source_block(source, 'labels = {MISC = ""}\n')), corpus)
    assert "validation.conll.span_f1" in result.metrics
    assert result.metrics["validation.conll.span_f1"] > 0.5  # it learnt the source's own sentences
    assert result.params["data.sources.conll.rows"] > 0
    assert "validation.span_f1" in result.metrics  # the corpus stays the one the run is judged by
    plain = fit(write(tmp_path, ENTITIES, "plain.toml"), corpus)
    assert "validation.conll.span_f1" not in plain.metrics
    assert len(result.model.classes_) == len(plain.model.classes_)  # MISC dropped, no new type


def test_a_source_with_a_type_the_corpus_lacks_must_map_it(corpus, tmp_path):
    from toolkit.training.fit import fit

    source = conll_corpus(tmp_path)
    with pytest.raises(ToolkitError, match=r"source 'conll' has labels the corpus does not \(MISC\)"):
        fit(write(tmp_path, ENTITIES + source_block(source)), corpus)
    with pytest.raises(ToolkitError, match=r"its label map names NOPE"):
        fit(write(tmp_path, ENTITIES + source_block(source, 'labels = {NOPE = ""}\n')), corpus)


def test_an_absent_source_is_skipped_and_named_unless_required(corpus, tmp_path):
    from toolkit.training.fit import fit

    absent = tmp_path / "nowhere"
    result = fit(write(tmp_path, CLAIMS + source_block(absent)), corpus)
    assert result.params["data.sources.skipped"] == "conll"
    with pytest.raises(ToolkitError, match="source 'conll' is required but .* is not a folder"):
        fit(write(tmp_path, CLAIMS + source_block(absent, "required = true\n")), corpus)


def test_claim_sources_map_statuses_and_drop_what_maps_to_nothing(corpus, tmp_path):
    """A second claims corpus relabelled: one status renamed, one dropped; searched with folds of the corpus only."""
    from toolkit.training.fit import fit

    labels = '{NONE = "", REPORTED = "FACT"}'
    search = "\n[search]\nparams = {C = [0.5, 2.0]}\ncv = 2\n"
    path = write(tmp_path, CLAIMS + search + source_block(corpus, f"labels = {labels}\n"))
    result = fit(path, corpus)
    loaded = result.sources[0]
    assert "NONE" not in loaded.y and "REPORTED" not in loaded.y and "FACT" in loaded.y
    assert result.params["data.sources.conll.rows"] == len(loaded.y) < len(result.dataset["train"])
    assert "validation.conll.macro_f1" in result.metrics and "cv.macro_f1.mean" in result.metrics


def test_the_search_scores_corpus_rows_only_and_always_trains_on_the_sources():
    import numpy as np

    from toolkit.training.search import _ScoredRowsOnly, folds

    groups = ["a", "a", "b", "c", "d", "d"]
    splitter = _ScoredRowsOnly(folds(3, 0), 6, groups)
    X = np.zeros(10)
    seen = []
    for train, test in splitter.split(X):
        assert set(range(6, 10)) <= set(train) and not set(test) & set(range(6, 10))
        seen += list(test)
    assert sorted(seen) == list(range(6)) and splitter.get_n_splits() == 3


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('[[data.sources]]\npath = "x"\n', r"`name` must be a short name"),
        ('[[data.sources]]\nname = "a b"\npath = "x"\n', r"`name` must be a short name"),
        ('[[data.sources]]\nname = "x"\n', r"`path` must be a dataset folder path"),
        (
            '[[data.sources]]\nname = "x"\npath = "x"\nweight = 0\n',
            r"`weight` must be a number above 0, got 0",
        ),
        ('[[data.sources]]\nname = "x"\npath = "x"\nweight = true\n', r"`weight` must be a number above 0"),
        ('[[data.sources]]\nname = "x"\npath = "x"\nlabels = {A = 1}\n', r"`labels` must map labels to ours"),
        ('[[data.sources]]\nname = "x"\npath = "x"\nrequired = "yes"\n', r"`required` must be true or false"),
        ('[[data.sources]]\nname = "x"\npath = "x"\nwieght = 2\n', r"unknown key `wieght`"),
        (
            '[[data.sources]]\nname = "x"\npath = "x"\npartial = ["DATE"]\n',
            r"`partial` is for entity sources",
        ),
        ('[[data.sources]]\nname = "test"\npath = "x"\n', r"the name 'test' is already taken"),
        ('sources = "x"\n', r"`data.sources` must be \[\[data.sources\]\] tables"),
    ],
)
def test_source_mistakes_name_the_file_and_the_key(tmp_path, block, message):
    text = CLAIMS + ("\n[data]\n" + block if not block.startswith("[[") else "\n" + block)
    with pytest.raises(ToolkitError, match=message):
        load_experiment(write(tmp_path, text))


def test_train_says_what_was_mixed_in_and_the_run_page_too(corpus, tmp_path, tracking_uri):
    import mlflow
    from typer.testing import CliRunner

    from toolkit.cli import app

    source = conll_corpus(tmp_path)
    text = ENTITIES + source_block(source, 'labels = {MISC = ""}\n')
    text += f'\n[[data.sources]]\nname = "gone"\npath = "{tmp_path / "gone"}"\n'
    result = CliRunner().invoke(app, ["train", str(write(tmp_path, text)), "--data", str(corpus)])
    assert result.exit_code == 0, result.output
    assert re.search(r"mixed in: conll \(18 rows, weight 0\.5, its validation [01]\.\d{3}\)", result.output)
    assert "skipped (absent): gone" in result.output
    run_id = re.search(r"\(([0-9a-f]{32})\) in toolkit-entities", result.output).group(1)
    note = mlflow.get_run(run_id).data.tags["mlflow.note.content"]
    assert "**Mixed in:** conll (" in note and "absent, skipped: gone" in note


def test_a_partial_type_reaches_the_tagger_for_that_source_only(corpus, tmp_path):
    from toolkit.dataset import load_dataset
    from toolkit.tasks import task_spec
    from toolkit.training.sources import training_set

    source = conll_corpus(tmp_path)
    experiment = load_experiment(
        write(tmp_path, ENTITIES + source_block(source, 'labels = {MISC = ""}\npartial = ["LOC"]\n'))
    )
    assert experiment.sources[0].partial == ("LOC",)
    with pytest.raises(ToolkitError, match=r'`partial` must list entity types, e\.g\. \["DATE"\], got "LOC"'):
        load_experiment(write(tmp_path, ENTITIES + source_block(source, 'partial = "LOC"\n'), "bad.toml"))
    task = task_spec("entities")
    train = load_dataset(corpus, "entities")[0]["train"]
    X, y = task.xy(train)
    mixed = training_set(experiment, task, X, y, list(train["article_id"]), list(train["lang"]))
    partial = mixed.fit_params["partial_types"]
    assert partial[: len(y)] == [[]] * len(y) and partial[len(y) :] == [["LOC"]] * (len(partial) - len(y))
    plain = load_experiment(
        write(tmp_path, ENTITIES + source_block(source, 'labels = {MISC = ""}\n'), "p.toml")
    )
    assert (
        "partial_types"
        not in training_set(plain, task, X, y, list(train["article_id"]), list(train["lang"])).fit_params
    )


def test_a_source_is_scored_on_the_types_it_annotates_only():
    """A DATE found in a corpus with no DATE layer is not a false positive of that corpus's score."""
    from toolkit.tasks import task_spec
    from toolkit.training.experiments import Source
    from toolkit.training.fit import _score_source
    from toolkit.training.sources import LoadedSource

    class Fixed:
        def predict(self, X):
            return [["B-PER", "O", "B-DATE"], ["B-ORG", "O", "O"]]

    gold = [["B-PER", "O", "O"], ["B-LOC", "O", "O"]]
    loaded = LoadedSource(
        source=Source("conll", Path("x")),
        version="v",
        X=[],
        y=[],
        groups=[],
        languages=[],
        validation=([["Anna", "on", "Monday"], ["Oslo", "is", "cold"]], gold),
        types={"PER", "LOC", "ORG"},
    )
    scores = _score_source(Fixed(), task_spec("entities"), loaded, [], None)
    assert scores["span_precision"] == 0.5 and scores["span_recall"] == 0.5  # ORG for LOC still counts
    loaded.types = {"PER", "LOC", "ORG", "DATE"}
    assert _score_source(Fixed(), task_spec("entities"), loaded, [], None)["span_precision"] == pytest.approx(
        1 / 3
    )


def test_a_claims_source_is_averaged_over_the_statuses_it_holds():
    """Szeged's hedged sentences all map to SPECULATIVE: its score is SPECULATIVE's F1, not a six-class average."""
    import numpy as np

    from toolkit.tasks import task_spec
    from toolkit.training.experiments import Source
    from toolkit.training.fit import _score_source
    from toolkit.training.sources import LoadedSource

    class Fixed:
        classes_ = np.array(["FACT", "SPECULATIVE"])

        def predict(self, X):
            return np.array(["SPECULATIVE", "SPECULATIVE", "FACT", "SPECULATIVE"])

    loaded = LoadedSource(
        source=Source("szeged", Path("x")),
        version="v",
        X=np.array([]),
        y=[],
        groups=[],
        languages=[],
        validation=(np.array(["a", "b", "c", "d"]), ["SPECULATIVE"] * 4),
    )
    experiment = type("E", (), {"positive_label": None})()
    scores = _score_source(
        Fixed(), task_spec("claims"), loaded, ["FACT", "OPINION", "SPECULATIVE"], experiment
    )
    assert scores["macro_f1"] == pytest.approx(2 * 0.75 / 1.75)  # precision 1, recall 3/4
    assert "f1.FACT" not in scores
