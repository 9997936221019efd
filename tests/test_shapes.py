"""Malformed files and export shapes: each one line naming file, task and field, and nothing written."""

import json

import pytest
from sample_exports import EN, make_export
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.io import MAX_DEPTH, read_json, read_jsonl, write_json_atomic, write_text_atomic
from toolkit.labelstudio.exports import parse_export
from toolkit.schema import load_schema
from toolkit.text.offsets import to_utf16
from toolkit.text.sentences import sentence_offsets

SCHEMA = load_schema()
runner = CliRunner()


def one_line_error(result, starts_with: str) -> str:
    """The CLI's message, after checking it is a single `error:` line with no traceback."""
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output, result.output
    assert result.output.startswith(f"error: {starts_with}"), result.output
    return result.output


# ---- JSON and JSONL files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels deep"),
        ('[{"data": {"text": "a \\ud800 b"}}]', r"lone surrogate \ud800 in the string at `[0].data.text`"),
        ("[" + "7" * 5000 + "]", "a number with more than 4,300 digits"),
        ("[1, 2", "malformed JSON"),
    ],
)
def test_unreadable_json_is_one_line(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(ToolkitError) as error:
        read_json(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_nesting_up_to_the_limit_is_read(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    value, depth = read_json(path), 0
    while value is not None:
        value, depth = (value[0] if value else None), depth + 1
    assert depth == MAX_DEPTH


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", "JSON nested too deeply to read"),
        ('{"text": "x", "meta": ' + "[" * 500 + "]" * 500 + "}", "nested more than"),
        ('{"text": "caf\\udce9"}', r"lone surrogate \udce9 in the string at `text`"),
    ],
)
def test_unreadable_jsonl_names_the_line(tmp_path, line, message):
    path = tmp_path / "articles.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n")
    with pytest.raises(ToolkitError) as error:
        list(read_jsonl(path))
    assert str(error.value).startswith(f"{path}:2: ") and message in str(error.value)


def test_a_jsonl_string_may_hold_a_line_separator(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps({"text": "one\u2028two"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [record["text"] for _, record in read_jsonl(path)] == ["one\u2028two"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "JSON nested too deeply"),
        ('{"text": "Acme shares rose \\ud83d today."}\n', "lone surrogate"),
    ],
)
def test_ingest_of_a_malformed_jsonl_writes_nothing(tmp_path, content, message):
    source = tmp_path / "in.jsonl"
    source.write_text(content)
    output = tmp_path / "articles.jsonl"
    result = runner.invoke(app, ["ingest", str(source), "--output", str(output)])
    assert message in one_line_error(result, f"{source}:1: ")
    assert not output.exists()


def test_reading_ingested_articles_with_a_lone_surrogate_is_one_line(tmp_path):
    path = tmp_path / "articles.jsonl"
    record = {"id": "a", "title": None, "text": "x \ud800", "lang": "en", "content_hash": "0" * 64}
    record.update(source="s", sentences=[[0, 3]], meta={})
    path.write_text(json.dumps(record) + "\n")  # ensure_ascii writes the surrogate as an escape
    result = runner.invoke(app, ["export", str(path), "--dry-run", "--output", str(tmp_path / "tasks.json")])
    assert "lone surrogate" in one_line_error(result, f"{path}:1: ")
    assert not (tmp_path / "tasks.json").exists()


# ---- where output goes ----------------------------------------------------------------------------------------


def test_output_under_a_file_is_refused_and_nothing_is_written(tmp_path):
    somefile = tmp_path / "somefile.txt"
    somefile.write_text("keep me")
    for target in (somefile / "out.json", somefile / "deeper" / "out.json"):
        with pytest.raises(ToolkitError, match=f"{somefile} is a file, not a folder"):
            write_json_atomic(target, {"a": 1})
    assert somefile.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [somefile]


def test_cli_output_under_a_file_is_one_line(tmp_path, small_export):
    somefile = tmp_path / "somefile.txt"
    somefile.write_text("Acme shares rose 4% on Tuesday.")
    result = runner.invoke(app, ["ingest", str(somefile), "-o", str(somefile / "out.json")])
    assert "is a file, not a folder" in one_line_error(result, f"{somefile / 'out.json'}: ")
    result = runner.invoke(app, ["dataset", "build", str(small_export), "-o", str(somefile / "data")])
    assert "is a file, not a folder" in one_line_error(result, f"{somefile / 'data'}: ")
    assert somefile.read_text() == "Acme shares rose 4% on Tuesday."


def test_text_that_cannot_be_encoded_is_not_written(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(ToolkitError, match=r"lone surrogate \\ud800 at character 2"):
        write_text_atomic(target, "ab\ud800")
    assert list(tmp_path.iterdir()) == []


# ---- export shapes --------------------------------------------------------------------------------------------


def region(tasks, index=1):
    return tasks[0]["annotations"][0]["result"][index]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda t: t["annotations"][0]["result"].__setitem__(1, "ORG"), "`result[1]` must be a region object, got string"),
        (lambda t: t["annotations"][0].update(result={"0": {}}), "`result` must be a list of regions, got object"),
        (lambda t: region([t]).update(value=[1, 2]), "`result[1].value` must be an object, got list"),
        (lambda t: region([t])["value"].update(labels={"ORG": 1}), "`result[1].value.labels` must be a list of label names, got object"),
        (lambda t: region([t])["value"].update(labels=[["ORG"]]), "`result[1].value.labels` must be a list of label names (strings), got list"),
        (lambda t: region([t]).update(from_name=["entities"]), "`result[1].from_name` must be a string, got list"),
        (lambda t: region([t])["value"].update(text=["Acme"]), "`result[1].value.text` must be a string, got list"),
        (lambda t: t["annotations"][0].update(id="one"), "`id` must be an integer, got string"),
        (lambda t: t["annotations"][0].update(completed_by=[1]), "`completed_by` must be a user id, got list"),
        (lambda t: t["annotations"][0].update(updated_at=17), "`updated_at` must be a date string, got number"),
        (lambda t: t["data"].update(article_id={"id": 1}), "`data.article_id` must be a string or an integer, got object"),
        (lambda t: t["data"].update(lang=["en"]), "`data.lang` must be a string, got list"),
        (lambda t: t["data"].update(title=3), "`data.title` must be a string, got number"),
    ],
)  # fmt: skip
def test_a_malformed_shape_names_file_task_and_field(corrupt, message):
    tasks = make_export([("a", "en", EN[0])])
    corrupt(tasks[0])
    for strict in (True, False):  # a shape is never just dropped: pull refuses it too
        with pytest.raises(ToolkitError) as error:
            parse_export(tasks, SCHEMA, "export.json", strict=strict)
        assert str(error.value).startswith("export.json task 1") and message in str(error.value)


def test_a_task_id_twice_in_one_export_is_refused():
    tasks = make_export([("a", "en", EN[0]), ("b", "en", EN[1])])
    tasks[1]["id"] = tasks[0]["id"]
    with pytest.raises(
        ToolkitError, match=r"export.json task 1: task id 1 appears twice \(tasks #0 and #1\)"
    ):
        parse_export(tasks, SCHEMA, "export.json")


@pytest.mark.parametrize(
    ("sentences", "message"),
    [
        ([[0, 2**31 + 5]], "sentence 0 is [0, 2147483653], outside a text"),
        ([[0, 10, 20]], "sentence 0 is [0, 10, 20], expected [start, end]"),
        ([[0]], "sentence 0 is [0], expected [start, end]"),
        ([[10, 0]], "sentence 0 is [10, 0], outside a text of 82 characters or reversed"),
        ([[-5, 10]], "sentence 0 is [-5, 10], outside"),
        ([[0, 10], [0, 10]], "sentence 1 is [0, 10] but the one before ends at 10"),
        ([[20, 30], [0, 10]], "sentence 1 is [0, 10] but the one before ends at 30"),
        ([[0.0, 10.0]], "expected [start, end] (two integers)"),
        ([["0", "10"]], "expected [start, end] (two integers)"),
        ([[True, 10]], "expected [start, end] (two integers)"),
        ("0-10", "must be a list of [start, end] pairs, got str"),
    ],
)
def test_task_sentences_are_checked(sentences, message):
    tasks = make_export([("a", "en", EN[0])])
    assert len(tasks[0]["data"]["text"]) == 82
    tasks[0]["data"]["sentences"] = sentences
    with pytest.raises(ToolkitError) as error:
        parse_export(tasks, SCHEMA, "export.json", strict=False)
    assert str(error.value).startswith("export.json task 1: `data.sentences`: ")
    assert message in str(error.value)


def test_good_task_sentences_are_kept_and_none_means_split():
    tasks = make_export([("a", "en", EN[0])])
    tasks[0]["data"]["sentences"] = [[0, 36], [37, 82]]
    assert parse_export(tasks, SCHEMA, "x.json").annotations[0].sentences == [(0, 36), (37, 82)]
    assert sentence_offsets("One. Two.", "en", None) == [(0, 4), (5, 9)]
    assert sentence_offsets("One. Two.", "en", []) == [(0, 4), (5, 9)]


@pytest.mark.parametrize(
    ("sentences", "message"),
    [
        ([[0, 2**40]], "outside a text"),
        ([[5, 1]], "reversed"),
        ([[0, 9], [0, 9]], "without overlaps or repeats"),
    ],
)
def test_dataset_build_with_bad_sentences_writes_nothing(tmp_path, sentences, message):
    tasks = make_export([("a", "en", EN[0]), ("b", "en", EN[1])])
    tasks[1]["data"]["sentences"] = sentences
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(tasks))
    output = tmp_path / "data"
    result = runner.invoke(app, ["dataset", "build", str(path), "--output", str(output)])
    assert message in one_line_error(result, f"{path} task 2: `data.sentences`: ")
    assert not output.exists() and not list(tmp_path.glob(".data*"))


@pytest.mark.parametrize(
    "content",
    ["[" * 100_000 + "]" * 100_000, '[{"id": 1, "data": {"text": "\\udead"}}]', "[" * 300 + "]" * 300],
)
def test_dataset_build_and_pull_of_an_unreadable_export_write_nothing(tmp_path, content):
    path = tmp_path / "export.json"
    path.write_text(content)
    output, exports = tmp_path / "data", tmp_path / "exports"
    one_line_error(runner.invoke(app, ["dataset", "build", str(path), "-o", str(output)]), f"{path}: ")
    result = runner.invoke(app, ["pull", "--file", str(path), "--exports-dir", str(exports)])
    one_line_error(result, f"{path}: ")
    assert not output.exists() and not exports.exists()


def test_pull_refuses_a_malformed_region_and_writes_no_snapshot(tmp_path):
    tasks = make_export([("a", "en", EN[0])])
    region(tasks)["value"] = "ORG"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    exports = tmp_path / "exports"
    result = runner.invoke(app, ["pull", "--file", str(path), "--exports-dir", str(exports)])
    assert "`result[1].value` must be an object" in one_line_error(result, f"{path} task 1 annotation 1: ")
    assert not (exports.exists() and list(exports.rglob("*.json")))  # the project lock may leave the folder


# ---- spans without text ---------------------------------------------------------------------------------------


def emoji_export_without_text(utf16: bool):
    tasks = make_export([("emoji", "en", "{FACT [ORG Hooli] 🚀 raised [MONEY $5 million].} More to come.")])
    text = tasks[0]["data"]["text"]
    for raw in tasks[0]["annotations"][0]["result"]:
        value = raw["value"]
        del value["text"]
        if utf16:
            value["start"], value["end"] = to_utf16(text, value["start"]), to_utf16(text, value["end"])
    return tasks


@pytest.mark.parametrize("utf16", [False, True])
def test_spans_without_text_after_an_emoji_cannot_be_checked(utf16):
    tasks = emoji_export_without_text(utf16)
    with pytest.raises(
        ToolkitError, match=r"export.json task 1 annotation 1: span \[\d+, \d+\) lies after an emoji"
    ):
        parse_export(tasks, SCHEMA, "export.json")
    report = parse_export(tasks, SCHEMA, "export.json", strict=False).report
    # The claim (it ends after the emoji) and MONEY are dropped; ORG, before the emoji, is kept.
    assert (report.unverifiable_spans, report.spans_without_text) == (2, 1)
    assert "2 spans without text after an emoji dropped" in report.summary()
    assert "1 span without text (offsets only range-checked)" in report.summary()


def test_pull_counts_unverifiable_spans_on_the_console(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(emoji_export_without_text(utf16=True)))
    result = runner.invoke(app, ["pull", "--file", str(path), "--exports-dir", str(tmp_path / "exports")])
    assert result.exit_code == 0, result.output
    assert "2 spans without text after an emoji dropped" in result.output


# ---- tasks without an article id ------------------------------------------------------------------------------


def test_tasks_without_article_id_from_two_exports_stay_two_articles(tmp_path):
    paths = []
    for name, text in (("first", EN[0]), ("second", EN[1])):
        tasks = make_export([("x", "en", text)])  # both tasks have id 1
        del tasks[0]["data"]["article_id"]
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(tasks))
    ids = {parse_export(json.loads(p.read_text()), SCHEMA, p).annotations[0].article_id for p in paths}
    assert ids == {"task-1@first", "task-1@second"}
    output = tmp_path / "data"
    result = runner.invoke(
        app, ["dataset", "build", *map(str, paths), "-o", str(output), "--validation", "0", "--test", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "2 tasks without article id (named after their export)" in result.output
    assert "0 second annotations not used" in result.output
    manifest = json.loads((output / "manifest.json").read_text())
    assert manifest["report"]["articles"] == 2


def test_a_snapshot_is_named_by_its_project_folder_so_ids_survive_a_new_pull(tmp_path):
    tasks = make_export([("x", "en", EN[0])])
    del tasks[0]["data"]["article_id"]
    ids = {
        parse_export(tasks, SCHEMA, tmp_path / "news" / name).annotations[0].article_id
        for name in ("2026-11-29T120000Z.json", "2026-12-01T080000Z.json")
    }
    assert ids == {"task-1@news"}


def test_dataset_import_under_a_file_is_one_line_and_writes_nothing(tmp_path):
    corpus = tmp_path / "tiny.train"
    corpus.write_text("Acme B-ORG\nrose O\n\n", encoding="utf-8")
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine", encoding="utf-8")
    result = runner.invoke(
        app, ["dataset", "import", "--format", "conll", str(corpus), "--output", str(blocker / "data")]
    )
    assert result.exit_code == 1 and "is a file, not a folder" in result.output
    assert len(result.output.strip().splitlines()) == 1 and blocker.read_text() == "mine"
