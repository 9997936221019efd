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
    export = next((ROOT / "annotations" / "exports" / "wikinews").glob("*.json"))
    report = agreement([export], schema_path=SCHEMA)
    text = (ROOT / "annotations" / "AGREEMENT.md").read_text(encoding="utf-8")
    assert report.tasks >= 34  # ≥ 10% of the 342 real articles
    assert f"alpha **{report.alpha:.3f}**" in text and f"entity span F1 **{report.entity_f1:.3f}**" in text
