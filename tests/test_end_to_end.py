"""ingest → dataset build → train (both tasks, MLflow) → predict → evaluate, on a small fixture."""

import json

import mlflow
import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.text.offsets import check_span

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def experiments(tmp_path):
    claims = tmp_path / "claims.toml"
    claims.write_text(
        '[experiment]\nname = "claims-small"\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'
    )
    entities = tmp_path / "entities.toml"
    entities.write_text(
        '[experiment]\nname = "entities-small"\ntask = "entities"\n[model]\nestimator = "EntityTagger"\nmax_iter = 3\n'
    )
    return claims, entities


def test_the_whole_loop(tmp_path, small_export, experiments, tracking_uri):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "Globex is in early talks to buy Initech, people familiar with the matter said.\n"
        "Shares of Acme Corp rose 4% on Tuesday.\nSubscribe to our newsletter - Download now\n",
        encoding="utf-8",
    )
    (raw / "b.txt").write_text(
        "La BCE devrait baisser ses taux de 0,25 % en juin. C'est une erreur, juge Marie Dupont.\n"
    )
    articles = tmp_path / "articles.jsonl"
    invoke("ingest", str(raw), "--output", str(articles))

    data = tmp_path / "data"
    invoke(
        "dataset", "build", str(small_export), "--output", str(data), "--validation", "0.2", "--test", "0.2"
    )
    claims, entities = experiments
    invoke("train", str(claims), "--data", str(data))
    invoke("train", str(entities), "--data", str(data))

    runs = mlflow.search_runs(experiment_names=["toolkit-claims", "toolkit-entities"], output_format="list")
    assert len(runs) == 2
    claims_run = next(run for run in runs if run.data.tags["task"] == "claims")
    entities_run = next(run for run in runs if run.data.tags["task"] == "entities")
    assert "test.macro_f1" in claims_run.data.metrics and "test.span_f1" in entities_run.data.metrics
    assert claims_run.data.params["model.estimator"] == "ClaimClassifier"
    assert len(claims_run.data.tags["dataset.content_hash"]) == 64

    output = tmp_path / "predictions.jsonl"
    invoke(
        "predict",
        f"runs:/{claims_run.info.run_id}/model",
        str(articles),
        "--output",
        str(output),
        "--model",
        f"runs:/{entities_run.info.run_id}/model",
    )
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in articles.read_text().splitlines()}
    predictions = [json.loads(line) for line in output.read_text().splitlines()]
    assert {p["article_id"] for p in predictions} == set(texts)
    groups = set()
    for prediction in predictions:
        assert prediction["model_version"].startswith("run ")
        for span in prediction["spans"]:
            assert (
                check_span(texts[prediction["article_id"]], span["start"], span["end"], span["text"]) is None
            )
            assert 0 < span["score"] <= 1
            groups.add(span["group"])
    assert "claims" in groups

    metrics_file = tmp_path / "metrics.json"
    invoke(
        "evaluate",
        f"runs:/{entities_run.info.run_id}/model",
        str(data),
        "--split",
        "test",
        "-o",
        str(metrics_file),
    )
    assert "span_f1" in json.loads(metrics_file.read_text())["metrics"]
