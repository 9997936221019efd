"""EntityTagger's extra features: rule regions, word clusters, k-fold gazetteers, word dropout."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_models import _NUMERIC_X, FAST, X_TOK, X_TOK_TEST, Y_TOK
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.models.clusters import HEADER, build_clusters, read_clusters
from toolkit.models.features import rule_regions
from toolkit.models.gazetteer import fold_regions, gather, match
from toolkit.models.tagger import EntityTagger

# ---- rules as features ---------------------------------------------------------------------------------------


def test_rule_regions_mark_money_percent_and_dates_in_both_languages():
    sentences = [
        ["Revenue", "rose", "5", "%", "to", "$", "3", "billion", "on", "Monday"],
        ["Le", "chiffre", "a", "atteint", "3,5", "milliards", "d'", "euros", "en", "janvier", "2020"],
        [],
        ["Nothing", "here"],
    ]
    labels = rule_regions(sentences)
    assert labels == [
        *["O", "O", "B-PERCENT", "I-PERCENT", "O", "B-MONEY", "I-MONEY", "I-MONEY", "O", "B-DATE"],
        *["O", "O", "O", "O", "B-MONEY", "I-MONEY", "I-MONEY", "I-MONEY", "O", "B-DATE", "I-DATE"],
        *["O", "O"],
    ]
    # Empty sentences first and last, and matches that start or end a sentence, keep their offsets.
    assert rule_regions([[], ["2016"], [], ["5", "%"], []]) == ["B-DATE", "B-PERCENT", "I-PERCENT"]
    assert rule_regions([[]]) == [] and rule_regions([]) == []


def test_rule_features_change_the_model_where_rules_match():
    sentences = [["Sales", "rose", "12", "%", "in", "March"], ["Tom", "left", "Oslo"]]
    base = EntityTagger(**FAST, rule_features=False).fit(X_TOK, Y_TOK)
    ruled = EntityTagger(**FAST, rule_features=True).fit(X_TOK, Y_TOK)
    # The templates hold no money, percent or date tags, but the rule columns still shift the weights.
    assert base.predict_scores(sentences) != ruled.predict_scores(sentences)
    assert ruled._features(_batch(sentences)).shape[1] == base._features(_batch(sentences)).shape[1] + 3


def _batch(sentences):
    from toolkit.models.features import Batch

    return Batch(sentences)


# ---- clusters --------------------------------------------------------------------------------------------------

_TEXT = "\n".join(
    f"{who} {verb} the {thing} in {place} on {day} ."
    for who in ("Anna", "Tom", "Lea", "Kofi")
    for verb in ("bought", "sold", "moved", "saw")
    for thing in ("car", "house", "boat")
    for place, day in (("Paris", "Monday"), ("Oslo", "Friday"), ("Lagos", "Sunday"))
)


def test_cluster_build_is_deterministic_with_a_stable_format(tmp_path: Path):
    (tmp_path / "text.txt").write_text(_TEXT, encoding="utf-8")
    (tmp_path / "articles.jsonl").write_text('{"text": "Anna saw Paris ."}\n', encoding="utf-8")
    first = build_clusters([tmp_path], tmp_path / "a.tsv.gz", levels=(2, 4), min_count=2, seed=1)
    second = build_clusters([tmp_path], tmp_path / "b.tsv.gz", levels=(2, 4), min_count=2, seed=1)
    assert (tmp_path / "a.tsv.gz").read_bytes() == (tmp_path / "b.tsv.gz").read_bytes()
    assert first.files == 2 and first.levels == (2, 4) and first.words == second.words
    lines = gzip.decompress((tmp_path / "a.tsv.gz").read_bytes()).decode().splitlines()
    assert lines[0] == HEADER + "2,4"
    words, ids, levels = read_clusters(tmp_path / "a.tsv.gz")
    assert words == sorted(words) and "anna" in words and "Anna" not in words
    assert ids.shape == (len(words), 2) and levels == (2, 4)
    assert ids[:, 0].max() < 2 and ids[:, 1].max() < 4
    # Words used alike share a cluster more often than not: the four first names at the finer level.
    names = [ids[words.index(name), 1] for name in ("anna", "tom", "lea", "kofi")]
    assert len(set(names)) == 1


def test_a_dataset_folder_gives_its_train_sentences_only(tmp_path: Path):
    from toolkit.dataset.importers import import_corpus
    from toolkit.models.clusters import raw_sentences

    lines = []
    for number, sentence in enumerate(_TEXT.splitlines()):
        lines += ["-DOCSTART- O", ""] + [f"{word} O" for word in sentence.split()] + [f"Doc{number} O", ""]
    source = tmp_path / "conll.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = tmp_path / "imported"
    result = import_corpus("conll", [source], folder, lang="en", validation_fraction=0.25, test_fraction=0.0)
    sentences = list(raw_sentences(folder))
    assert len(sentences) == result.rows["train"] < len(_TEXT.splitlines())  # validation's text stays out
    assert all(sentence[-1].startswith("Doc") for sentence in sentences)
    built = build_clusters([folder], tmp_path / "c.tsv", levels=(2, 4), min_count=2)
    assert built.files == 1 and built.tokens == sum(map(len, sentences))


@pytest.mark.parametrize(
    "content, message",
    [
        ("not a cluster file\n", "not a cluster file"),
        (HEADER + "2,4\nword\t1\n", "1 ids for 2 levels"),
        (HEADER + "2,x\n", "bad cluster file"),
    ],
)
def test_reading_a_bad_cluster_file_is_one_line(tmp_path: Path, content: str, message: str):
    path = tmp_path / "clusters.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ToolkitError, match=message) as error:
        read_clusters(path)
    assert "\n" not in str(error.value)


def test_cluster_build_refuses_too_little_text_in_one_line(tmp_path: Path):
    (tmp_path / "small.txt").write_text("a b c a b c a b c", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["clusters", "build", str(tmp_path / "small.txt"), "-o", str(tmp_path / "c")]
    )
    assert result.exit_code == 1
    assert (
        result.output.startswith("error: 3 words occur at least 3 times") and result.output.count("\n") == 1
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["clusters", "build", str(empty), "-o", str(tmp_path / "c")])
    assert result.exit_code == 1 and "no .txt, .jsonl or .csv file" in result.output


def test_cluster_command_writes_the_file(tmp_path: Path):
    (tmp_path / "text.txt").write_text(_TEXT, encoding="utf-8")
    output = tmp_path / "clusters.tsv"
    result = CliRunner().invoke(
        app, ["clusters", "build", str(tmp_path / "text.txt"), "-o", str(output), "--levels", "2,4"]
    )
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8").startswith(HEADER + "2,4\n")


@pytest.fixture(scope="module")
def cluster_file(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("clusters")
    (folder / "text.txt").write_text(_TEXT, encoding="utf-8")
    return str(build_clusters([folder / "text.txt"], folder / "c.tsv.gz", levels=(2, 4), min_count=2).path)


def test_clusters_are_kept_in_the_model_and_change_it(cluster_file: str, tmp_path: Path):
    base = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    clustered = EntityTagger(**FAST, clusters=cluster_file).fit(X_TOK, Y_TOK)
    assert len(clustered.cluster_words_) == clustered.cluster_ids_.shape[0] > 0
    assert base.predict_scores(X_TOK_TEST) != clustered.predict_scores(X_TOK_TEST)
    assert clone(clustered).get_params()["clusters"] == cluster_file
    with pytest.raises(ToolkitError, match="not a cluster file"):
        (tmp_path / "bad.tsv").write_text("x\n", encoding="utf-8")
        EntityTagger(**FAST, clusters=str(tmp_path / "bad.tsv")).fit(X_TOK, Y_TOK)


# ---- gazetteer -----------------------------------------------------------------------------------------------


def test_gazetteer_matches_the_longest_entry():
    gazetteer = gather(
        [["New", "York", "Times", "said"], ["in", "New", "York"]],
        [["B-ORG", "I-ORG", "I-ORG", "O"], ["O", "B-LOC", "I-LOC"]],
    )
    assert match([["the", "New", "York", "Times", "and", "New", "York"]], gazetteer) == [
        *["O", "B-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "I-LOC"]
    ]


def test_gazetteer_folds_do_not_leak_a_sentences_own_entities():
    sentences = [["Zorblax", "visited", "Paris"], *[["Paris", "is", "big"]] * 9]
    tags = [["B-PER", "O", "B-LOC"], *[["B-LOC", "O", "O"]] * 9]
    folded = fold_regions(sentences, tags, folds=5)
    # Zorblax is named in one sentence only: the other folds never saw it. Paris is in every fold.
    assert folded[:3] == ["O", "O", "B-LOC"]
    assert match(sentences[:1], gather(sentences, tags)) == ["B-PER", "O", "B-LOC"]


def test_gazetteer_param_keeps_all_training_entities_for_prediction():
    tagger = EntityTagger(**FAST, gazetteer=True).fit(X_TOK, Y_TOK)
    assert tagger.gazetteer_["Anna\x1fBerg"] == "PER"
    assert EntityTagger(**FAST).fit(X_TOK, Y_TOK).gazetteer_ == {}
    assert tagger.predict_scores(X_TOK_TEST) != EntityTagger(**FAST).fit(X_TOK, Y_TOK).predict_scores(
        X_TOK_TEST
    )


# ---- word dropout --------------------------------------------------------------------------------------------


def test_word_dropout_changes_the_model_and_marks_unseen_words():
    base = EntityTagger(**FAST, word_dropout=0.0).fit(X_TOK, Y_TOK)
    dropped = EntityTagger(**FAST, word_dropout=0.3).fit(X_TOK, Y_TOK)
    assert base.predict_scores(X_TOK_TEST) != dropped.predict_scores(X_TOK_TEST)
    batch = _batch([["Anna", "wobbles", "in", "Zqx"]])
    table = dropped._type_table(batch.types)
    from toolkit.models.features import SLOT

    unseen = dropped._unseen(table[batch.type_ids, SLOT["lower"]])
    assert unseen.tolist() == [False, True, False, True]
    affixes = EntityTagger(**FAST, word_dropout=0.3, dropout_affixes=True).fit(X_TOK, Y_TOK)
    assert affixes.predict_scores(X_TOK_TEST) != dropped.predict_scores(X_TOK_TEST)
    with pytest.raises(ValueError, match="word_dropout"):
        EntityTagger(word_dropout=1.0).fit(X_TOK, Y_TOK)


# ---- estimator API and persistence ---------------------------------------------------------------------------


@parametrize_with_checks(
    [EntityTagger(gazetteer=True, dropout_affixes=True)],
    legacy=False,
    expected_failed_checks=lambda estimator: {
        name: f"{reason}: {type(estimator).__name__} takes text" for name, reason in _NUMERIC_X.items()
    },
)
def test_the_new_params_pass_the_scikit_learn_api_checks(estimator, check):
    check(estimator)


def test_saved_and_loaded_model_predicts_the_same(cluster_file: str, tmp_path: Path):
    import skops.io

    from toolkit.tracking.models import load_skops

    model = EntityTagger(
        **FAST, rule_features=True, clusters=cluster_file, gazetteer=True, word_dropout=0.2
    ).fit(X_TOK, Y_TOK)
    path = tmp_path / "model.skops"
    skops.io.dump(model, path)
    Path(cluster_file).rename(tmp_path / "moved.tsv.gz")  # the model must not need the file any more
    try:
        loaded = load_skops("test", path)
        sentences = [*X_TOK_TEST, ["Sales", "rose", "5", "%", "on", "Monday"]]
        assert loaded.predict(sentences) == model.predict(sentences)
        assert loaded.predict_scores(sentences) == model.predict_scores(sentences)
    finally:
        (tmp_path / "moved.tsv.gz").rename(cluster_file)
