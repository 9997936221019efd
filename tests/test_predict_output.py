"""`toolkit predict` output: JSONL, CSV, the per-sentence table (--show), and where each goes."""

import csv
import io
import json

import pytest
from rich.console import Console
from sample_exports import train_sample_claims_model
from typer.testing import CliRunner

from toolkit.cli import app, predict_cmd
from toolkit.ingest import read_articles
from toolkit.models.rules import predict_rules
from toolkit.predict import CSV_COLUMNS, article_views, format_predictions

TEXT = (
    "Globex may buy Initech for $2 billion, people familiar with the matter said.\n"
    "Acme Corp shares rose 4% on Tuesday.\n"
)
runner = CliRunner()


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    root = tmp_path_factory.mktemp("predict")
    (root / "a.txt").write_text(TEXT, encoding="utf-8")
    path = root / "articles.jsonl"
    assert runner.invoke(app, ["ingest", str(root / "a.txt"), "-o", str(path)]).exit_code == 0
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A claims model trained on the small sample in a throwaway MLflow store."""
    return train_sample_claims_model(tmp_path_factory.mktemp("model"))


def test_views_give_each_sentence_its_status_score_cue_and_entities(articles):
    loaded = read_articles(articles)
    (view,) = article_views(loaded, predict_rules(loaded))
    first, second = view.sentences
    assert first.text.startswith("Globex may buy") and second.text.startswith("Acme Corp")
    assert (first.status, first.score, first.cue, first.cue_category) == ("SPECULATIVE", 0.6, "may", "hedge")
    assert [(span.label, span.text) for span in first.entities] == [("MONEY", "$2 billion")]
    assert second.status == "FACT" and second.cue is None
    assert [(span.label, span.text) for span in second.entities] == [("PERCENT", "4%"), ("DATE", "Tuesday")]


def test_the_table_highlights_entities_and_shows_status_score_and_cue(articles):
    loaded = read_articles(articles)
    views = article_views(loaded, predict_rules(loaded))
    plain = Console(file=io.StringIO(), width=120, color_system=None)
    predict_cmd.render_table(views, plain)
    text = plain.file.getvalue()
    assert "$2 billion[MONEY]" in text and "4%[PERCENT]" in text and "Tuesday[DATE]" in text
    row = next(line for line in text.splitlines() if "Globex" in line)
    assert "SPECULATIVE" in row and "0.60" in row and "may (hedge)" in row
    coloured = Console(file=io.StringIO(), width=120, force_terminal=True, color_system="standard")
    predict_cmd.render_table(views, coloured)
    assert "\x1b[1;33m$2 billion" in coloured.file.getvalue()  # MONEY in bold yellow


def test_csv_has_one_row_per_span_and_jsonl_one_line_per_article(articles):
    predictions = predict_rules(read_articles(articles))
    rows = list(csv.DictReader(io.StringIO(format_predictions(predictions, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(predictions[0].spans)
    assert {(row["group"], row["label"], row["text"]) for row in rows} >= {
        ("entities", "MONEY", "$2 billion")
    }
    lines = format_predictions(predictions, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == [p.to_dict() for p in predictions]


def predict(model, *args, **kwargs):
    return runner.invoke(
        app, ["predict", model["model"], *map(str, args)], env={"MLFLOW_TRACKING_URI": model["uri"]}, **kwargs
    )


def test_predict_writes_jsonl_and_shows_the_table(model, articles, tmp_path):
    output = tmp_path / "predictions.jsonl"
    result = predict(model, articles, "-o", output, "--show")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(records) == 1 and records[0]["model_version"].startswith("run ")
    claims = {span["text"]: span for span in records[0]["spans"] if span["group"] == "claims"}
    for sentence, span in claims.items():
        row = next(line for line in result.stdout.splitlines() if sentence[:20] in line)
        assert span["label"] in row and f"{span['score']:.2f}" in row
    assert result.stdout.rstrip().splitlines()[-1].startswith(f"wrote predictions for 1 article to {output}")
    quiet = predict(model, articles, "-o", tmp_path / "again.jsonl")
    assert "sentence" not in quiet.stdout and quiet.stdout.count("\n") == 1  # no table without --show


def test_predict_formats(model, articles, tmp_path):
    jsonl = predict(model, articles, "-o", tmp_path / "p.jsonl")
    assert jsonl.exit_code == 0, jsonl.output
    by_suffix = predict(model, articles, "-o", tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8")))
    assert by_suffix.exit_code == 0 and rows and tuple(rows[0]) == CSV_COLUMNS
    spans = json.loads((tmp_path / "p.jsonl").read_text())["spans"]
    assert len(rows) == len(spans)
    table = predict(model, articles, "-o", tmp_path / "p.txt", "--format", "table")
    assert table.exit_code == 0 and "claim" in (tmp_path / "p.txt").read_text()
    assert "Globex may buy" in (tmp_path / "p.txt").read_text()


def test_predict_to_stdout_is_jsonl_when_piped_and_a_table_on_a_terminal(
    model, articles, tmp_path, monkeypatch
):
    predict(model, articles, "-o", tmp_path / "p.jsonl")
    piped = predict(model, articles)
    assert piped.exit_code == 0, piped.output
    assert piped.stdout == (tmp_path / "p.jsonl").read_text()  # the summary goes to stderr
    assert piped.stderr.startswith("wrote predictions for 1 article to standard output")
    as_csv = predict(model, articles, "--format", "csv", "-o", "-")
    assert as_csv.stdout.startswith(",".join(CSV_COLUMNS))
    monkeypatch.setattr(predict_cmd, "_stdout_is_terminal", lambda: True)
    terminal = predict(model, articles)
    assert terminal.exit_code == 0 and "sentence (entities [TYPE])" in terminal.stdout
    assert "{" not in terminal.stdout
