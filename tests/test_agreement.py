"""`toolkit agreement`: kappa, alpha and entity F1 between annotators, on exports written like real ones."""

from __future__ import annotations

import json

import pytest
from sample_exports import ROOT, make_export
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.agreement import agreement, krippendorff_alpha, span_f1

runner = CliRunner()
SCHEMA = ROOT / "annotations" / "schema.toml"

FIRST = {
    "en-a": "{FACT [ORG Acme] cut [PERCENT 5%] of jobs on [DATE Monday].} {SPECULATIVE It may sell a unit.}",
    "en-b": "{REPORTED Sales rose, [PER Jane Doe] said.} {OPINION The plan is a bold bet.}",
    "en-c": "{FORECAST [ORG Globex] expects growth in [DATE 2026].}",
}
# The second annotator calls one sentence FORECAST instead of SPECULATIVE and misses one entity.
SECOND = {
    "en-a": "{FACT [ORG Acme] cut [PERCENT 5%] of jobs on Monday.} {FORECAST It may sell a unit.}",
    "en-b": "{REPORTED Sales rose, [PER Jane Doe] said.} {OPINION The plan is a bold bet.}",
}


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.json"
    articles = [(article_id, "en", text) for article_id, text in FIRST.items()]
    path.write_text(json.dumps(make_export(articles, second=SECOND)), encoding="utf-8")
    return path


def test_krippendorff_alpha_matches_a_hand_computed_value():
    # Coincidences: a-a 2, b-b 2, a-b 2, b-a 2 → D_o = 4/8, D_e = 32/56 → alpha = 1 - 0.5/0.5714 = 0.125.
    assert krippendorff_alpha([["a", "b"], ["a", "a"], ["b", "b"], ["a", "b"]]) == pytest.approx(0.125)
    assert krippendorff_alpha([["a", "a"], ["b", "b"]]) == 1.0
    assert krippendorff_alpha([["a"], ["b"]]) != krippendorff_alpha([["a"], ["b"]])  # nan: nothing pairable


def test_span_f1_is_symmetric_and_one_on_two_empty_sets():
    first, second = {(0, 4, "ORG"), (5, 9, "PER")}, {(0, 4, "ORG")}
    assert span_f1(first, second) == span_f1(second, first) == pytest.approx(2 / 3)
    assert span_f1(set(), set()) == 1.0


def test_agreement_compares_only_tasks_annotated_twice_sentence_by_sentence(export):
    report = agreement([export], schema_path=SCHEMA)
    assert report.tasks == 2 and report.sentences == 4  # en-c has one annotation
    (pair,) = report.pairs
    assert pair.annotators == ("1", "2") and pair.observed == pytest.approx(3 / 4)
    assert pair.confusion["SPECULATIVE"] == {"FORECAST": 1}
    assert pair.entities == (4, 3, 3) and pair.entity_f1 == pytest.approx(6 / 7)
    assert report.per_type_f1["DATE"] == 0.0 and report.per_type_f1["ORG"] == 1.0
    assert report.per_class_kappa["FACT"] == 1.0 and report.per_class_kappa["SPECULATIVE"] == 0.0


def test_disagreements_name_the_sentence_the_statuses_and_the_missing_spans(export):
    report = agreement([export], schema_path=SCHEMA)
    by_sentence = {(d.article_id, d.sentence): d for d in report.disagreements}
    assert set(by_sentence) == {("en-a", 0), ("en-a", 1)}
    assert by_sentence["en-a", 0].entities == {"2": ["DATE Monday"]}
    assert by_sentence["en-a", 1].statuses == {"1": "SPECULATIVE", "2": "FORECAST"}


def test_a_reviewers_ground_truth_is_not_counted_as_an_annotator(export, tmp_path):
    tasks = json.loads(export.read_text())
    for task in tasks:
        if len(task["annotations"]) > 1:
            task["annotations"][-1]["ground_truth"] = True  # the second one becomes an adjudication
    path = tmp_path / "reviewed.json"
    path.write_text(json.dumps(tasks))
    report = agreement([path], schema_path=SCHEMA)
    assert report.tasks == 0 and report.pairs == [] and report.disagreements == []


def test_cli_prints_the_tables_and_writes_json(export, tmp_path):
    output = tmp_path / "agreement.json"
    result = runner.invoke(
        app, ["agreement", "--file", str(export), "--schema", str(SCHEMA), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "2 tasks annotated twice or more, 4 sentences" in result.output
    assert "1 × 2" in result.output and "SPECULATIVE" in result.output
    saved = json.loads(output.read_text())
    assert saved["tasks"] == 2 and len(saved["disagreements"]) == 2


def test_shipped_corpus_agreement_reproduces_agreement_md():
    """The figures AGREEMENT.md reports come from the shipped export itself."""
    from toolkit.dataset import training_snapshots

    (export,) = training_snapshots(ROOT / "annotations" / "training.toml")  # the newest snapshot, all batches
    report = agreement([export], schema_path=SCHEMA)
    text = (ROOT / "annotations" / "AGREEMENT.md").read_text(encoding="utf-8")
    assert report.tasks >= 48  # batch 1's 36 articles and batch 2's 12
    assert f"alpha **{report.alpha:.3f}**" in text and f"entity span F1 **{report.entity_f1:.3f}**" in text


def test_usage_mistakes_exit_2_before_anything_runs(export):
    neither = runner.invoke(app, ["agreement"])
    both = runner.invoke(app, ["agreement", "--file", str(export), "--project", "News claims"])
    alone = runner.invoke(app, ["agreement", "--file", str(export), "--adjudicate"])
    assert (neither.exit_code, both.exit_code, alone.exit_code) == (2, 2, 2)
    assert "--adjudicate needs --project NAME" in alone.output


def test_log_writes_one_run_with_flat_metric_names(export, tracking_uri):
    import mlflow

    result = runner.invoke(app, ["agreement", "--file", str(export), "--schema", str(SCHEMA), "--log"])
    assert result.exit_code == 0, result.output
    run_id = result.output.split("as run ")[1].split()[0]
    run = mlflow.get_run(run_id)
    assert run.data.params == {"project": export.parent.name, "snapshot": str(export)}
    metrics = run.data.metrics
    assert metrics["kappa.pair.1_2"] == pytest.approx(agreement([export], schema_path=SCHEMA).pairs[0].kappa)
    assert metrics["kappa.class.FACT"] == 1.0 and metrics["entity_f1.DATE"] == 0.0
    assert metrics["entity_f1"] == pytest.approx(6 / 7) and metrics["disagreements"] == 2
    assert mlflow.get_experiment(run.info.experiment_id).name == "toolkit-agreement"


def test_metrics_leave_out_what_is_not_a_number(export):
    from toolkit.tracking.agreement import agreement_metrics

    report = agreement([export], schema_path=SCHEMA)
    report.alpha = float("nan")
    assert "alpha" not in agreement_metrics(report) and "kappa.pair.1_2" in agreement_metrics(report)


def test_adjudication_tasks_show_every_annotators_work_as_a_prediction(export):
    from toolkit.dataset.agreement import disagreement_lines
    from toolkit.labelstudio.adjudicate import adjudication_tasks
    from toolkit.labelstudio.exports import read_export
    from toolkit.schema import load_schema

    report = agreement([export], schema_path=SCHEMA)
    lines = disagreement_lines(report)
    annotations = read_export(export, load_schema(SCHEMA)).annotations
    (task,) = adjudication_tasks(7, annotations, lines)  # en-a only: en-b is agreed on
    assert task["data"]["article_id"] == "en-a" and task["data"]["review_key"] == "adjudicate:7:1"
    assert task["data"]["reason"].startswith("2 sentences disputed: #0 1: FACT, 2: FACT; 2 lacks DATE Monday")
    assert "#1 1: SPECULATIVE, 2: FORECAST" in task["data"]["reason"]
    assert "2 lacks DATE Monday" in task["data"]["reason"]
    versions = {p["model_version"]: p["result"] for p in task["predictions"]}
    assert set(versions) == {"annotator 1", "annotator 2"}
    text = task["data"]["text"]
    for result in versions.values():
        assert all(text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in result)
    assert sum(r["value"]["labels"] == ["DATE"] for r in versions["annotator 1"]) == 1
    assert sum(r["value"]["labels"] == ["DATE"] for r in versions["annotator 2"]) == 0


def _review_task(
    text: str, result: list, *, source_task: int = 1, updated: str = "2026-01-02", **extra
) -> dict:
    return {
        "id": 900,
        "data": {"text": text, "article_id": "en-a", "review": "adjudicate", "source_task": source_task},
        "annotations": [{"id": 77, "completed_by": 9, "result": result, "updated_at": updated, **extra}],
    }


def test_merge_adds_the_leads_decision_as_ground_truth_once(export):
    from toolkit.labelstudio.adjudicate import merge_adjudications
    from toolkit.labelstudio.exports import choose_annotation, parse_export
    from toolkit.schema import load_schema

    tasks = json.loads(export.read_text())
    first = tasks[0]
    decision = first["annotations"][1]["result"]  # the lead sides with the second annotator
    review = [_review_task(first["data"]["text"], decision)]
    assert merge_adjudications(tasks, review, project_id=None, review_project_id=5) == 1
    assert merge_adjudications(tasks, review, project_id=None, review_project_id=5) == 0  # already there
    added = tasks[0]["annotations"][-1]
    assert added["ground_truth"] is True and added["adjudication"] == {
        "review_project": 5,
        "review_task": 900,
    }
    parsed = parse_export(tasks, load_schema(SCHEMA), "x.json").annotations
    chosen = choose_annotation([a for a in parsed if a.task_id == first["id"]])
    assert chosen.annotation_id == 77 and chosen.annotator == 9
    # The adjudication is not a third annotator.
    path = export.parent / "merged.json"
    path.write_text(json.dumps(tasks))
    assert agreement([path], schema_path=SCHEMA).tasks == agreement([export], schema_path=SCHEMA).tasks


def test_merge_ignores_what_is_no_decision_or_no_longer_applies(export):
    from toolkit.labelstudio.adjudicate import merge_adjudications

    tasks = json.loads(export.read_text())
    text, result = tasks[0]["data"]["text"], tasks[0]["annotations"][0]["result"]
    ignored = [
        _review_task(text, result, was_cancelled=True),
        _review_task(text, []),
        _review_task(text + " edited", result),  # the article's text changed since
        {**_review_task(text, result), "data": {**_review_task(text, result)["data"], "review": "suspect"}},
        _review_task(text, result, source_task=999),  # gone: found by article id instead
    ]
    assert merge_adjudications(tasks, ignored[:4], project_id=None, review_project_id=5) == 0
    assert merge_adjudications(tasks, ignored[4:], project_id=None, review_project_id=5) == 1


def test_the_logged_snapshot_digest_ignores_what_changes_on_every_export(export):
    from toolkit.labelstudio.pull import content_digest

    tasks = json.loads(export.read_text())
    before = content_digest(tasks)
    tasks[0]["annotations"][0]["created_ago"] = "4 minutes"
    assert content_digest(tasks) == before
    tasks[0]["annotations"][0]["result"].pop()
    assert content_digest(tasks) != before
