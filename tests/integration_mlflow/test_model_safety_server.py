"""The shared-server case: a pickle model anyone logged to a real `mlflow server` is refused, its code never runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_model_safety import Payload
from typer.testing import CliRunner

from toolkit.cli import app

pytestmark = pytest.mark.integration


def test_a_pickle_model_on_the_server_is_refused_before_it_runs(mlflow_server, tmp_path: Path, monkeypatch):
    import mlflow
    import mlflow.sklearn

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    mlflow.set_tracking_uri(mlflow_server.url)
    marker = tmp_path / "code-ran"
    experiment = mlflow.create_experiment("someone-elses-experiment")
    with mlflow.start_run(experiment_id=experiment) as run:
        info = mlflow.sklearn.log_model(
            Payload(marker),
            name="model",
            serialization_format="pickle",
            metadata={"task": "claims"},
            pip_requirements=["x"],
        )
    raw, articles = tmp_path / "raw", tmp_path / "articles.jsonl"
    raw.mkdir()
    (raw / "a.txt").write_text("Globex may buy Initech, people familiar with the matter said.\n")
    assert CliRunner().invoke(app, ["ingest", str(raw), "--output", str(articles)]).exit_code == 0
    for uri in (f"runs:/{run.info.run_id}/model", info.model_uri):
        result = CliRunner().invoke(app, ["predict", uri, str(articles), "-o", str(tmp_path / "out.jsonl")])
        assert result.exit_code == 1, result.output
        assert result.output == (
            f"error: {uri}: refused: not a skops model (serialized with 'pickle', which runs the file's own "
            "code when loaded); the toolkit loads skops models only: train it with `toolkit train`\n"
        )
    assert not marker.exists()
