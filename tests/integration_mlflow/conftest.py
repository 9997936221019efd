"""A real `mlflow server` for the session, and runs of the shipped experiments logged to it.

The server listens on a free loopback port, keeps its sqlite store and artifacts in a temporary folder, and is
stopped by its PID with its child processes at the end, also when tests fail. `make mlflow-server` runs the same
code (toolkit.servers.mlflow).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"
SAMPLE_EXPORT = ROOT / "tests" / "fixtures" / "exports" / "news-sample" / "2026-11-29T120000Z.json"


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from toolkit.servers.mlflow import free_port, start_server, stop_server

    root = tmp_path_factory.mktemp("mlflow-server")
    try:
        yield start_server(root, free_port())
    finally:
        stop_server(root)


@pytest.fixture(scope="session")
def shipped_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample's dataset: small and fixed, and never the user's own annotations/exports."""
    from toolkit.dataset import build_dataset

    output = tmp_path_factory.mktemp("shipped") / "data"
    build_dataset([SAMPLE_EXPORT], output, schema_path=ROOT / "annotations" / "schema.toml")
    return output


def _train(experiment: str, data: Path, url: str, *options: str) -> SimpleNamespace:
    """`toolkit train` of a shipped experiment against the server, from the project root (guidelines, git)."""
    from toolkit.cli import app

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        result = CliRunner().invoke(
            app,
            ["train", str(EXPERIMENTS / experiment), "--data", str(data), "--tracking-uri", url, *options],
        )
    assert result.exit_code == 0, result.output
    name, run_id = re.search(r"^run (.+) \(([0-9a-f]{32})\) in ", result.output, re.MULTILINE).groups()
    return SimpleNamespace(run_id=run_id, run_name=name, output=result.output)


@pytest.fixture(scope="session")
def search_run(mlflow_server, shipped_data: Path) -> SimpleNamespace:
    """experiments/claims-logreg-search.toml: a grid of 6 candidates, 3 folds, two at a time."""
    return _train("claims-logreg-search.toml", shipped_data, mlflow_server.url, "--n-jobs", "2")


@pytest.fixture(scope="session")
def svm_run(mlflow_server, shipped_data: Path) -> SimpleNamespace:
    return _train("claims-svm-cues.toml", shipped_data, mlflow_server.url)
