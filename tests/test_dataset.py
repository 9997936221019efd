import json

import pytest
from sample_exports import EN, ROOT, make_export
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import build_dataset, load_dataset, split_groups
from toolkit.errors import ToolkitError

runner = CliRunner()
SCHEMA = ROOT / "annotations" / "schema.toml"


def test_build_splits_by_article_and_labels_sentences(small_export, tmp_path):
    result = build_dataset(
        [small_export], tmp_path / "data", seed=1, validation_fraction=0.2, test_fraction=0.2
    )
    claims, manifest = load_dataset(tmp_path / "data", "claims")
    entities, _ = load_dataset(tmp_path / "data", "entities")
    articles = {split: set(claims[split]["article_id"]) for split in claims}
    assert set(claims) == {"train", "validation", "test"}
    assert not (articles["train"] & articles["validation"]) and not (articles["train"] & articles["test"])
    assert not (articles["validation"] & articles["test"])
    assert sum(map(len, articles.values())) == 12
    assert {lang for split in claims for lang in claims[split]["lang"]} == {"en", "fr"}
    names = claims["train"].features["label"].names
    assert names[0] == "NONE" and "SPECULATIVE" in names
    every = [(row["text"], names[row["label"]]) for split in claims for row in claims[split]]
    assert ("Here is what we know.", "NONE") in every
    assert ("Les détails sont au stade initial.", "SPECULATIVE") in every
    assert manifest["content_hash"] == result.manifest.content_hash and len(manifest["content_hash"]) == 64
    assert manifest["report"]["cancelled"] == 1 and result.duplicate_annotations == 1
    tag_names = entities["train"].features["tags"].feature.names
    for split in entities:
        for row in entities[split]:
            for token, start, end in zip(row["tokens"], row["starts"], row["ends"], strict=True):
                assert row["text"][start:end] == token
    rocket = [row for split in entities for row in entities[split] if "🚀" in row["text"]][0]
    assert [
        tag_names[t] for t, token in zip(rocket["tags"], rocket["tokens"], strict=True) if token == "Hooli"
    ] == ["B-ORG"]


def test_same_inputs_same_hash_and_the_seed_moves_articles(small_export, tmp_path):
    first = build_dataset([small_export], tmp_path / "a", seed=1).manifest
    again = build_dataset([small_export], tmp_path / "b", seed=1).manifest
    other = build_dataset([small_export], tmp_path / "c", seed=2).manifest
    assert first.content_hash == again.content_hash
    assert other.content_hash != first.content_hash


def test_the_second_annotator_is_used_when_most_recent(small_export, tmp_path):
    build_dataset([small_export], tmp_path / "data", seed=1, validation_fraction=0, test_fraction=0)
    claims, _ = load_dataset(tmp_path / "data", "claims")
    names = claims["train"].features["label"].names
    labels = [names[row["label"]] for row in claims["train"] if row["article_id"] == "en-1"]
    assert labels[0] == "REPORTED"  # annotator 2 relabelled the first sentence, later than annotator 1


def test_split_groups_keeps_every_language_in_every_split():
    groups = [f"{lang}-{i}" for lang in ("en", "fr") for i in range(10)]
    assignment = split_groups(groups, {g: g[:2] for g in groups}, seed=3, fractions=(0.2, 0.2))
    for split in ("train", "validation", "test"):
        assert {g[:2] for g, s in assignment.items() if s == split} == {"en", "fr"}


def test_cli_build_and_rebuild(small_export, tmp_path):
    output = tmp_path / "data"
    result = runner.invoke(app, ["dataset", "build", str(small_export), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "claims: train" in result.output and "1 cancelled" in result.output
    assert json.loads((output / "manifest.json").read_text())["version"] in result.output


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda region: region["value"].update(text="Acme Inc"), "span text 'Acme Inc' does not match"),
        (lambda region: region["value"].update(labels=["RUMOUR"]), "not in the schema"),
        (lambda region: region["value"].update(end=10_000), "out of range"),
    ],
)
def test_a_bad_export_stops_with_one_line_and_writes_nothing(tmp_path, corrupt, message):
    tasks = make_export([("a", "en", EN[0]), ("b", "en", EN[1])])
    corrupt(tasks[1]["annotations"][0]["result"][1])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(tasks))
    output = tmp_path / "data"
    result = runner.invoke(app, ["dataset", "build", str(path), "--output", str(output)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: {path} task 2")
    assert message in result.output and "Traceback" not in result.output
    assert not output.exists() and not list(tmp_path.glob(".data*"))


def test_a_failed_rebuild_keeps_the_previous_dataset(small_export, tmp_path):
    output = tmp_path / "data"
    build_dataset([small_export], output)
    before = (output / "manifest.json").read_text()
    with pytest.raises(ToolkitError):
        build_dataset([tmp_path / "missing.json"], output)
    assert (output / "manifest.json").read_text() == before


def test_non_utf8_and_empty_exports(tmp_path):
    bad = tmp_path / "latin1.json"
    bad.write_bytes('[{"data": {"text": "été"}}]'.encode("latin-1"))
    empty = tmp_path / "empty.json"
    empty.write_text("")
    for path, message in ((bad, "not valid UTF-8"), (empty, "file is empty")):
        result = runner.invoke(app, ["dataset", "build", str(path), "--output", str(tmp_path / "out")])
        assert result.exit_code == 1 and f"error: {path}" in result.output and message in result.output


def test_output_that_is_not_a_dataset_is_never_replaced(small_export, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["dataset", "build", str(small_export), "--output", str(notes)])
    assert result.exit_code == 1 and "not a toolkit dataset" in result.output
    assert (notes / "notes.txt").read_text() == "keep me"
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me too")
    result = runner.invoke(app, ["dataset", "build", str(small_export), "--output", str(a_file)])
    assert result.exit_code == 1 and "is a file" in result.output and a_file.read_text() == "keep me too"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["dataset", "build", str(small_export), "--output", str(empty)]).exit_code == 0


def test_an_article_reexported_as_a_new_task_uses_its_newest_annotation(tmp_path):
    # Its text changed, so `toolkit export` made a second task for the same article id; the later work wins.
    tasks = make_export([("a", "en", EN[0]), ("b", "en", EN[1])])
    newer = make_export([("a", "en", EN[2])])[0]
    newer["id"] = 3
    newer["annotations"][0].update(id=3, task=3, updated_at="2027-01-01T00:00:00.000000Z")
    path = tmp_path / "export.json"
    path.write_text(json.dumps([newer, *tasks]))  # the newer task first: file order must not decide
    result = build_dataset([path], tmp_path / "data", validation_fraction=0, test_fraction=0)
    claims, _ = load_dataset(tmp_path / "data", "claims")
    texts = [row["text"] for row in claims["train"] if row["article_id"] == "a"]
    assert texts[0] == "The deal is a bold bet for Jane Doe." and result.duplicate_annotations == 1


@pytest.mark.parametrize(("validation", "test"), [("0.5", "0.5"), ("0.45", "0.45")])
def test_shares_that_leave_no_training_article_are_refused(small_export, tmp_path, validation, test):
    output = tmp_path / "data"
    command = [
        "dataset",
        "build",
        str(small_export),
        "-o",
        str(output),
        "--validation",
        validation,
        "--test",
        test,
    ]
    result = runner.invoke(app, command)
    assert result.exit_code == 1 and "for training" in result.output and not output.exists()


def test_the_default_exports_are_the_latest_snapshot_of_each_project(small_export, tmp_path):
    from toolkit.dataset import latest_snapshots

    for project, names in {
        "a": ["2026-01-01T000000Z.json", "2026-02-01T000000Z.json"],
        "b": ["2026-01-05T000000Z.json"],
    }.items():
        (tmp_path / project).mkdir()
        for name in names:
            (tmp_path / project / name).write_text(small_export.read_text())
    # An export downloaded from the UI and dropped into the folder is not a snapshot, whatever its name sorts as.
    (tmp_path / "a" / "project-1-at-2026-03-01.json").write_text("[]")
    assert [p.relative_to(tmp_path).as_posix() for p in latest_snapshots(tmp_path)] == [
        "a/2026-02-01T000000Z.json",
        "b/2026-01-05T000000Z.json",
    ]


def test_training_data_is_the_projects_the_config_lists_not_every_folder(small_export, tmp_path, monkeypatch):
    from toolkit.dataset import training_snapshots

    for project in ("wikinews", "softbank-trial"):
        (tmp_path / "exports" / project).mkdir(parents=True)
        (tmp_path / "exports" / project / "2026-01-01T000000Z.json").write_text(small_export.read_text())
    config = tmp_path / "training.toml"
    config.write_text('projects = ["wikinews"]\n')
    assert training_snapshots(config) == [tmp_path / "exports" / "wikinews" / "2026-01-01T000000Z.json"]
    # The default build reads annotations/training.toml: a pulled trial project stays out of training.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "exports").rename(tmp_path / "annotations" / "exports")
    config.rename(tmp_path / "annotations" / "training.toml")
    result = runner.invoke(app, ["dataset", "build", "--schema", str(SCHEMA), "--output", "data"])
    assert result.exit_code == 0, result.output
    assert "from: annotations/exports/wikinews/2026-01-01T000000Z.json" in result.output
    assert "softbank" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('projects = ["missing"]\n', "project 'missing' has no snapshot in"),
        ("projects = []\n", 'expected projects = \\["folder", ...\\]'),
        ("projects = [1]\n", 'expected projects = \\["folder", ...\\]'),
    ],
)
def test_a_training_config_naming_no_usable_project_is_one_line(tmp_path, content, message):
    from toolkit.dataset import training_snapshots

    config = tmp_path / "training.toml"
    config.write_text(content)
    with pytest.raises(ToolkitError, match=message):
        training_snapshots(config)


def test_the_shipped_training_config_names_the_real_corpus():
    from toolkit.dataset import training_snapshots

    snapshots = training_snapshots(ROOT / "annotations" / "training.toml")
    assert [path.parent.name for path in snapshots] == ["wikinews"]


def test_adding_articles_leaves_the_others_where_they_were():
    groups = [f"en-{i}" for i in range(40)]
    before = split_groups(groups, {}, seed=13, fractions=(0.15, 0.15))
    after = split_groups([*groups, "en-new-1", "en-new-2"], {}, seed=13, fractions=(0.15, 0.15))
    moved = [group for group in groups if before[group] != after[group]]
    assert len(moved) <= 2, moved  # a shuffled list would move about half of them


def test_the_shipped_corpus_is_real_news_of_both_languages_every_sentence_labelled(tmp_path):
    """What the corpus promises (annotations/SOURCES.md): 522 real Wikinews articles, >= 5,000 labelled sentences,
    >= 1,500 per language, the six entity types and the five statuses in both languages."""
    from collections import Counter

    from toolkit.dataset import training_snapshots

    exports = training_snapshots(ROOT / "annotations" / "training.toml")
    result = build_dataset(exports, tmp_path / "corpus", schema_path=SCHEMA)
    claims, _ = load_dataset(tmp_path / "corpus", "claims")
    rows = [row for split in claims.values() for row in split]
    languages = Counter(row["lang"] for row in rows)
    assert len(rows) >= 5000 and min(languages["fr"], languages["en"]) >= 1500
    real = {row["article_id"] for row in rows if not row["article_id"].startswith("newssd-")}
    assert len(real) >= 500
    names = claims["train"].features["label"].names
    for lang in ("fr", "en"):
        statuses = Counter(names[row["label"]] for row in rows if row["lang"] == lang)
        assert all(statuses[s] >= 20 for s in ("FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION")), (
            statuses
        )
    counts = result.manifest.tasks["entities"]["label_counts"]["train"]
    assert set(counts) == {"PER", "ORG", "LOC", "MONEY", "PERCENT", "DATE"} and min(counts.values()) >= 100


def test_sentences_under_claims_of_different_statuses_are_counted_on_the_console(tmp_path):
    import copy

    from toolkit.schema import load_schema

    claims_group = load_schema(SCHEMA).claims.name
    tasks = make_export([("a", "en", EN[0]), ("b", "en", EN[1])])
    text, result = tasks[0]["data"]["text"], tasks[0]["annotations"][0]["result"]
    extra = copy.deepcopy(next(region for region in result if region["from_name"] == claims_group))
    extra["id"] = "whole-text"
    extra["value"].update(start=0, end=len(text), text=text, labels=["OPINION"])
    result.append(extra)  # overlaps both sentences, each already under a claim of another status
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    output = tmp_path / "data"
    command = ["dataset", "build", str(path), "-o", str(output), "--validation", "0", "--test", "0"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "  sentences: 2 with claims of different statuses" in result.output
    assert (
        json.loads((output / "manifest.json").read_text())["report"]["sentences_with_competing_claims"] == 2
    )
    path.write_text(json.dumps(make_export([("a", "en", EN[0]), ("b", "en", EN[1])])))
    result = runner.invoke(app, command)
    assert result.exit_code == 0 and "sentences:" not in result.output
