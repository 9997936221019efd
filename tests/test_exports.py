import json

import pytest
from sample_exports import EN, make_export

from toolkit.errors import ToolkitError
from toolkit.labelstudio.exports import choose_annotation, parse_export, read_export
from toolkit.schema import load_schema
from toolkit.text.offsets import to_utf16

SCHEMA = load_schema()


def test_cancelled_empty_and_repeated_annotations_are_counted(small_export):
    tasks = json.loads(small_export.read_text())
    tasks[0]["annotations"].append({**tasks[0]["annotations"][0], "id": 999, "result": []})
    result = parse_export(tasks, SCHEMA, "export.json")
    report = result.report
    assert report.tasks == 12 and report.cancelled == 1 and report.empty == 1
    assert report.kept == 13  # twelve tasks plus one second annotator
    assert {a.article_id for a in result.annotations if a.task_id == 2} == {"en-1"}
    assert len([a for a in result.annotations if a.task_id == 2]) == 2


def test_every_span_matches_its_text(small_export):
    for annotation in read_export(small_export, SCHEMA).annotations:
        for region in annotation.regions:
            assert annotation.text[region.start : region.end] == region.text


def test_utf16_offsets_from_the_browser_are_repaired():
    tasks = make_export([("emoji", "en", "{FACT 🚀 [ORG Hooli] raised [MONEY $5 million].}")])
    text = tasks[0]["data"]["text"]
    for region in tasks[0]["annotations"][0]["result"]:
        value = region["value"]
        value["start"], value["end"] = to_utf16(text, value["start"]), to_utf16(text, value["end"])
    result = parse_export(tasks, SCHEMA, "export.json")
    assert result.report.utf16_repaired == 3  # both entities, and the claim whose end lies past the emoji
    money = [r for r in result.annotations[0].regions if r.label == "MONEY"][0]
    assert money.text == "$5 million"


def test_a_span_that_does_not_match_its_text_names_file_and_task():
    tasks = make_export([("a", "en", EN[0])])
    tasks[0]["annotations"][0]["result"][1]["value"]["text"] = "Acme Inc"
    with pytest.raises(
        ToolkitError, match=r"export.json task 1 annotation 1: span text 'Acme Inc' does not match"
    ):
        parse_export(tasks, SCHEMA, "export.json")
    lenient = parse_export(tasks, SCHEMA, "export.json", strict=False)
    assert lenient.report.bad_spans == 1 and len(lenient.report.problems) == 1


def test_a_label_the_schema_does_not_know_is_refused():
    tasks = make_export([("a", "en", EN[0])])
    tasks[0]["annotations"][0]["result"][0]["value"]["labels"] = ["RUMOUR"]
    with pytest.raises(ToolkitError, match=r"task 1 annotation 1: label \['RUMOUR'\].*not in the schema"):
        parse_export(tasks, SCHEMA, "export.json")
    assert parse_export(tasks, SCHEMA, "export.json", strict=False).report.unknown_labels == 1


def test_not_an_export():
    with pytest.raises(ToolkitError, match="expected a list of tasks"):
        parse_export({"tasks": []}, SCHEMA, "x.json")


def test_choice_between_annotators_prefers_ground_truth_then_the_latest(small_export):
    annotations = [a for a in read_export(small_export, SCHEMA).annotations if a.article_id == "en-1"]
    first, second = sorted(annotations, key=lambda a: a.annotation_id)
    assert choose_annotation([first, second]) is second  # updated later
    first.ground_truth = True
    assert choose_annotation([first, second]) is first


def test_a_selection_dragged_over_a_space_is_trimmed():
    tasks = make_export([("a", "en", EN[0])])
    value = tasks[0]["annotations"][0]["result"][1]["value"]  # "Acme Corp"
    value["end"] += 1
    value["text"] = tasks[0]["data"]["text"][value["start"] : value["end"]]
    result = parse_export(tasks, SCHEMA, "export.json")
    assert result.report.whitespace_trimmed == 1
    assert [r.text for r in result.annotations[0].regions if r.label == "ORG"] == ["Acme Corp"]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda task: task.update(id="seven"), "task id must be an integer"),
        (lambda task: task.update(annotations=["not an object"]), r"`annotations\[0\]` must be an object"),
        (lambda task: task.update(annotations={"id": 1}), "`annotations` must be a list"),
    ],
)
def test_malformed_tasks_are_one_line(corrupt, message):
    tasks = make_export([("a", "en", EN[0])])
    corrupt(tasks[0])
    with pytest.raises(ToolkitError, match=message):
        parse_export(tasks, SCHEMA, "export.json")
