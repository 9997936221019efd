from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sample_exports import EN, FR, make_export

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def small_export(tmp_path: Path) -> Path:
    """Twelve short annotated articles (FR and EN, one with an emoji), a second annotator and a skipped task."""
    articles = [(f"en-{i}", "en", text) for i, text in enumerate(EN)] + [
        (f"fr-{i}", "fr", text) for i, text in enumerate(FR)
    ]
    second = {"en-1": EN[1].replace("{SPECULATIVE", "{REPORTED", 1)}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(make_export(articles, second=second, cancelled=("fr-2",)), ensure_ascii=False))
    return path


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri
