"""Everything against a real `mlflow server`: a search, its nested runs, promotion, and predicting with the alias."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from toolkit.cli import app

pytestmark = pytest.mark.integration


def test_a_search_trained_against_the_server_is_promoted_and_served(
    mlflow_server, search_run, tmp_path, monkeypatch
):
    url = mlflow_server.url
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    client = MlflowClient(url)
    experiment = client.get_experiment_by_name("toolkit-claims")
    assert experiment.artifact_location.startswith("mlflow-artifacts:")  # the server stores and serves them

    parent = client.get_run(search_run.run_id)
    assert parent.info.run_name == search_run.run_name and " · grid×6 · " in parent.info.run_name
    children = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(children) == 6
    grid = {(child.data.params["model.C"], child.data.params["model.use_cues"]) for child in children}
    assert grid == {(c, u) for c in ("1.0", "4.0", "16.0") for u in ("False", "True")}
    for child in children:
        assert {"cv.macro_f1.mean", "cv.macro_f1.std", "cv.rank"} <= set(child.data.metrics)
        assert child.data.params["model.use_char"] == "False"
    best = min(children, key=lambda child: child.data.metrics["cv.rank"])
    assert parent.data.params["search.best.C"] == best.data.params["model.C"]
    assert parent.data.tags["search.n_jobs"] == "2"
    assert {"validation.macro_f1", "test.macro_f1", "test.f1.FACT", "cv.macro_f1.mean"} <= set(
        parent.data.metrics
    )
    tags = parent.data.tags
    assert tags["labelstudio.projects"] == "news-sample" and tags["guidelines.version"] == "2"
    assert len(tags["dataset.content_hash"]) == 64 and len(tags["git.commit"]) == 40

    artifacts = {artifact.path for artifact in client.list_artifacts(parent.info.run_id)}
    expected = {
        "experiment.toml",
        "dataset_manifest.json",
        "classification_report.json",
        "confusion_matrix_test.png",
    }
    assert expected <= artifacts
    stored = {path.name for path in (mlflow_server.root / "artifacts").rglob("*") if path.is_file()}
    assert {"confusion_matrix_test.png", "MLmodel"} <= stored  # uploaded through the server into its folder
    model_id = parent.outputs.model_outputs[0].model_id
    assert client.get_logged_model(model_id).source_run_id == parent.info.run_id

    promoted = CliRunner().invoke(app, ["runs", "promote", parent.info.run_id, "--alias", "champion"])
    assert promoted.exit_code == 0, promoted.output
    version = client.get_model_version_by_alias("toolkit-claims", "champion")
    assert (str(version.version), version.run_id, version.source) == (
        "1",
        parent.info.run_id,
        f"models:/{model_id}",
    )
    assert {k: str(v) for k, v in client.get_registered_model("toolkit-claims").aliases.items()} == {
        "champion": "1"
    }

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "Globex is in early talks to buy Initech, people familiar with the matter said.\n"
        "Analysts expect margins to widen next year.\n"
    )
    articles, output = tmp_path / "articles.jsonl", tmp_path / "predictions.jsonl"
    assert CliRunner().invoke(app, ["ingest", str(raw), "--output", str(articles)]).exit_code == 0
    predicted = CliRunner().invoke(
        app, ["predict", "models:/toolkit-claims@champion", str(articles), "--output", str(output)]
    )
    assert predicted.exit_code == 0, predicted.output
    prediction = json.loads(output.read_text().splitlines()[0])
    assert prediction["model_version"] == "toolkit-claims v1"
    assert {span["group"] for span in prediction["spans"]} == {"claims"}

    listed = CliRunner().invoke(app, ["runs", "list", "--task", "claims"], env={"COLUMNS": "250"})
    line = next(line for line in listed.output.splitlines() if parent.info.run_id in line)
    assert "champion (toolkit-claims v1)" in line
    assert not any(child.info.run_id in listed.output for child in children)


def test_compare_lines_up_the_per_class_test_f1_of_two_shipped_runs(mlflow_server, search_run, svm_run):
    client = MlflowClient(mlflow_server.url)
    runs = [client.get_run(run.run_id) for run in (search_run, svm_run)]
    result = CliRunner().invoke(
        app,
        [
            "runs",
            "compare",
            search_run.run_id,
            svm_run.run_id,
            "--diff-only",
            "--split",
            "test",
            "--tracking-uri",
            mlflow_server.url,
        ],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for label in ("FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION"):
        row = next(line for line in lines if line.startswith(f"│ {label} "))
        assert [cell.strip() for cell in row.strip("│").split("│")[1:]] == [
            f"{run.data.metrics[f'test.f1.{label}']:.3f}" for run in runs
        ]
    params = result.output.split("Metrics")[0]
    assert "model.classifier" in params and "data.version" not in params


def test_the_server_stops_with_its_children(tmp_path: Path, capsys):
    from toolkit.servers import mlflow as servers
    from toolkit.servers._process import alive, descendants

    port = servers.free_port()
    try:
        assert servers.main(["start", "--root", str(tmp_path), "--port", str(port)]) == 0
        assert f"MLflow is running at http://127.0.0.1:{port}" in capsys.readouterr().out
        pid = json.loads((tmp_path / "server.pid").read_text())["pid"]
        processes = [pid, *descendants(pid)]
        assert len(processes) >= 2  # mlflow server runs uvicorn as a child
        assert servers.main(["status", "--root", str(tmp_path)]) == 0
    finally:
        assert servers.main(["stop", "--root", str(tmp_path)]) == 0
    assert "MLflow stopped" in capsys.readouterr().out
    for process in processes:
        assert not os.path.exists(f"/proc/{process}") or not alive(process), process
    assert not (tmp_path / "server.pid").exists()
    assert servers.main(["status", "--root", str(tmp_path)]) == 3


def test_make_ui_serves_without_job_workers_and_stops_promptly_on_sigterm(tmp_path: Path):
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from toolkit.servers._process import alive, descendants
    from toolkit.servers.mlflow import free_port

    port = free_port()
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit.servers.mlflow", "ui", "--store", store, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        # MLflow's own start-up notes share the output; ours is the first line that names the UI.
        line = next(line for line in process.stdout if line.startswith("MLflow UI on") or not line)
        assert line.startswith(f"MLflow UI on http://127.0.0.1:{port} over {store}"), line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            assert response.status == 200
        processes = [process.pid, *descendants(process.pid)]
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes]
        assert not any(b"huey" in command or b"_job_runner" in command for command in commands), commands
        assert len(processes) == 3  # ours, `mlflow server`, its one uvicorn worker
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        while any(alive(pid) for pid in processes) and time.monotonic() - began < 15:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in processes)
        assert time.monotonic() - began < 8
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
