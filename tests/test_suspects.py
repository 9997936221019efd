"""Suspect sentences in the review project (toolkit.labelstudio.suspects): the tasks sent, and the lead's
decisions written back into the articles by `toolkit pull`, on exports written like real ones."""

from __future__ import annotations

import copy
import json

from sample_exports import EN, ROOT, make_export

from toolkit.labelstudio.suspects import merge_suspect_decisions, suspect_tasks
from toolkit.schema import load_schema
from toolkit.training.review import Finding, Suspect
from toolkit.training.review_spans import SpanSuspect, TokenSpan

SCHEMA = load_schema(ROOT / "annotations" / "schema.toml")


def test_claim_suspect_tasks_carry_the_suggestion_and_the_reason():
    findings = [
        Finding(Suspect(3, "FACT", "OPINION", 0.12, 0.81), "en-a", "en-a:2", "train", "A bold bet. ", 40, "FACT",
                "OPINION"),
        Finding(Suspect(4, "FACT", "NONE", 0.2, 0.7), "en-b", "en-b:0", "validation", "Here is what we know.", 0,
                "FACT", "NONE"),
    ]  # fmt: skip
    opinion, none = suspect_tasks(findings, SCHEMA)
    assert opinion["data"]["reason"] == "labelled FACT (0.12), model suggests OPINION (0.81)"
    assert (opinion["data"]["given"], opinion["data"]["suggested"]) == ("FACT", "OPINION")
    assert (opinion["data"]["sentence_start"], opinion["data"]["group"]) == (40, "claims")
    (region,) = opinion["predictions"][0]["result"]
    assert region["value"] == {"start": 0, "end": 11, "text": "A bold bet.", "labels": ["OPINION"]}
    assert none["predictions"][0]["result"] == [] and none["data"]["review_key"] == "suspect:en-b:0:FACT"


def test_entity_suspect_tasks_show_the_sentences_spans_with_the_models_reading():
    text = "Shares of Acme rose in Paris."
    suspect = SpanSuspect(0, "missing", None, TokenSpan(2, 3, "ORG"), 0.01, 0.93)
    finding = Finding(suspect, "en-c", "en-c:1", "train", text, 57, "no entity on 'Acme'", "ORG 'Acme'",
                      ((10, 14, "ORG"), (23, 28, "LOC")))  # fmt: skip
    (task,) = suspect_tasks([finding], SCHEMA)
    assert task["data"]["reason"] == "labelled no entity on 'Acme' (0.01), model suggests ORG 'Acme' (0.93)"
    assert task["data"]["group"] == "entities" and task["data"]["review_key"] == "suspect:en-c:1:missing:2-3"
    values = [region["value"] for region in task["predictions"][0]["result"]]
    assert [(v["text"], v["labels"]) for v in values] == [("Acme", ["ORG"]), ("Paris", ["LOC"])]


def _suspect_review(task: dict, sentence: str, group: str, result: list, **annotation) -> dict:
    text = task["data"]["text"]
    return {
        "id": 700 + len(result),
        "data": {
            "text": sentence,
            "task": "claims" if group == "claims" else "entities",
            "article_id": task["data"]["article_id"],
            "sentence_id": "x",
            "sentence_start": text.index(sentence),
            "review": "suspect",
            "group": group,
        },
        "annotations": [{"id": 9000 + len(result), "completed_by": 42, "result": result,
                         "updated_at": "2030-01-01T00:00:00Z", **annotation}],
    }  # fmt: skip


def _region(group: str, sentence: str, words: str, label: str) -> dict:
    start = sentence.index(words)
    value = {"start": start, "end": start + len(words), "text": words, "labels": [label]}
    return {"id": "lead", "from_name": group, "to_name": "text", "type": "labels", "value": value}


def test_pull_writes_the_leads_decisions_into_the_articles_and_dataset_build_uses_them(tmp_path):
    from toolkit.dataset import build_dataset, load_dataset

    tasks = make_export([("en-0", "en", EN[0]), ("en-2", "en", EN[2])])
    original = copy.deepcopy(tasks)
    revenue = "Revenue reached $2 billion, the company said."
    ohio = "Initech employs 4,000 people in Ohio."
    reviews = [
        # REPORTED → OPINION, by the lead; on en-2, Ohio is no entity and Initech a person (to tell it apart).
        _suspect_review(tasks[0], revenue, "claims", [_region("claims", revenue, revenue, "OPINION")]),
        _suspect_review(tasks[1], ohio, "entities", [_region("entities", ohio, "Initech", "PER")]),
        _suspect_review(tasks[1], ohio, "entities", [], was_cancelled=True),  # skipped: no decision
    ]
    assert merge_suspect_decisions(tasks, reviews, project_id=3, review_project_id=4) == 2
    merged = tasks[0]["annotations"][-1]
    assert merged["ground_truth"] is True and merged["completed_by"] == 42
    assert merged["review"] == {"review_project": 4, "review_tasks": [701], "based_on": 1}
    assert len(tasks[0]["annotations"]) == len(original[0]["annotations"]) + 1  # the annotator's is kept
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    build_dataset([path], tmp_path / "data", validation_fraction=0.0, test_fraction=0.0)
    claims, _ = load_dataset(tmp_path / "data", "claims")
    labels = dict(zip(claims["train"]["text"], claims["train"]["label"], strict=True))
    names = claims["train"].features["label"].names
    assert names[labels[revenue]] == "OPINION"
    assert names[labels["Acme Corp shares rose 4% on Tuesday."]] == "FACT"  # the other sentence is untouched
    entities, _ = load_dataset(tmp_path / "data", "entities")
    row = next(r for r in entities["train"] if r["text"] == ohio)
    tag_names = entities["train"].features["tags"].feature.names
    assert [tag_names[t] for t in row["tags"]][:2] == ["B-PER", "O"] and "B-LOC" not in [
        tag_names[t] for t in row["tags"]
    ]


def test_a_claim_over_several_sentences_keeps_its_status_outside_the_decided_one():
    text = "Acme may buy Globex. Talks are early. Shares rose."
    claim = {"id": "c", "from_name": "claims", "to_name": "text", "type": "labels",
             "value": {"start": 0, "end": 37, "text": text[:37], "labels": ["SPECULATIVE"]}}  # fmt: skip
    task = {"id": 1, "data": {"text": text, "article_id": "a"},
            "annotations": [{"id": 5, "result": [claim], "updated_at": "2026-01-01"}]}  # fmt: skip
    second = "Talks are early."
    review = _suspect_review(task, second, "claims", [])  # the lead: no claim in this sentence
    assert merge_suspect_decisions([task], [review], project_id=1, review_project_id=2) == 1
    result = task["annotations"][-1]["result"]
    assert [(r["value"]["start"], r["value"]["end"], r["value"]["text"]) for r in result] == [
        (0, 21, "Acme may buy Globex. ")
    ]
    changed = {**task, "data": {**task["data"], "text": text.replace("early", "later")}, "annotations": []}
    assert merge_suspect_decisions([changed], [review], project_id=1, review_project_id=2) == 0
