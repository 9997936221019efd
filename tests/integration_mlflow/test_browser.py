"""The MLflow UI's compare page, rendered by headless Chromium (Debian's, /usr/bin/chromium; `make browser`).

Chromium's own `--dump-dom` and `--screenshot` with a virtual-time budget render the single-page app; the page
polls forever, so a budget, not network idle, ends the wait. The screenshot is kept in tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "tests" / "artifacts" / "mlflow-compare-runs.png"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1400,2400",
]  # fmt: skip


def chromium(url: str, profile: Path, budget_ms: int, *args: str, timeout: float = 120) -> str:
    """Run Chromium once over a fresh profile; its whole process group is gone when this returns."""
    command = [
        str(CHROMIUM),
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={budget_ms}",
        *args,
        url,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return output


def test_the_compare_page_shows_both_runs_and_a_per_class_metric(
    mlflow_server, search_run, svm_run, tmp_path
):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make browser` installs Debian's chromium")
    runs = [search_run, svm_run]
    experiment = MlflowClient(mlflow_server.url).get_run(search_run.run_id).info.experiment_id
    url = (
        f"{mlflow_server.url}/#/compare-runs?runs={quote(json.dumps([run.run_id for run in runs]))}"
        f"&experiments={quote(json.dumps([experiment]))}"
    )
    wanted = [run.run_name for run in runs]
    # A per-class F1 of a split, overall or per language: which ones the virtualised table renders depends on
    # how many metrics sort before them.
    per_class = re.compile(
        r"(?:test|validation)(?:\.(?:fr|en))?\.f1\.(?:FACT|REPORTED|SPECULATIVE|FORECAST|OPINION)"
    )
    page = ""
    for attempt, budget in enumerate((15_000, 40_000)):
        page = html.unescape(chromium(url, tmp_path / f"profile-{attempt}", budget, "--dump-dom"))
        if all(text in page for text in wanted) and per_class.search(page):
            break
    for text in wanted:
        assert text in page, f"{text!r} not on the compare page ({len(page)} characters of DOM)"
    assert per_class.search(page), f"no per-class F1 on the compare page ({len(page)} characters of DOM)"
    assert "Comparing 2 Runs" in page

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    chromium(url, tmp_path / "profile-shot", 15_000, f"--screenshot={SCREENSHOT}")
    picture = SCREENSHOT.read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 50_000


WIDE = ["--window-size=2600,1200"]  # the runs table only renders the columns that fit


def _dom(url: str, profile: Path, wanted: list[str]) -> str:
    page = ""
    for attempt, budget in enumerate((15_000, 40_000)):
        page = html.unescape(chromium(url, profile / f"dom-{attempt}", budget, *WIDE, "--dump-dom"))
        if all(text in page for text in wanted):
            break
    return page


def _screenshot(url: str, profile: Path, name: str) -> Path:
    path = SCREENSHOT.parent / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    chromium(url, profile, 20_000, *WIDE, f"--screenshot={path}")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    return path


def test_the_printed_runs_page_shows_headline_columns_and_descriptions(mlflow_server, svm_run, tmp_path):
    from toolkit.tracking.store import runs_page

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make browser` installs Debian's chromium")
    client = MlflowClient(mlflow_server.url)
    run = client.get_run(svm_run.run_id)
    first_line = run.data.tags["mlflow.note.content"].splitlines()[0]
    assert first_line.startswith("validation.macro_f1 0.") and " · test.macro_f1 0." in first_line
    url = runs_page(mlflow_server.url, run.info.experiment_id)
    columns = ['col-id="metrics.`validation.macro_f1`"', 'col-id="metrics.`test.macro_f1`"']
    wanted = [*columns, first_line[:30], "Model training"]
    page = _dom(url, tmp_path, wanted)
    for text in wanted:
        assert text in page, f"{text!r} not on the runs page ({len(page)} characters of DOM)"
    assert 'col-id="attributes.`Description`"' in page
    _screenshot(url, tmp_path / "shot", "mlflow-runs-table.png")


def test_a_run_page_shows_its_description_and_the_errors_in_whole_sentences(mlflow_server, svm_run, tmp_path):
    import urllib.request

    from mlflow.artifacts import load_dict

    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make browser` installs Debian's chromium")
    client = MlflowClient(mlflow_server.url)
    run = client.get_run(svm_run.run_id)
    errors = load_dict(f"{run.info.artifact_uri}/misclassified_test.json")
    assert errors["columns"] == ["article_id", "text", "expected", "predicted", "probability"]
    assert all(0 < row[4] <= 1 for row in errors["data"])
    sentence = max((row[1] for row in errors["data"]), key=len)
    assert len(sentence) > 60

    base = f"{mlflow_server.url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    overview = _dom(f"{base}?workflowType=machine_learning", tmp_path / "run", ["Trained:"])
    assert "Trained:" in overview and "rows: train " in overview  # the description, rendered on the run page

    table = f"{base}/artifacts/misclassified_test.json?workflowType=machine_learning"
    page = _dom(table, tmp_path / "table", [sentence])
    assert sentence in page, "the whole sentence is not in the error table"
    # The readable page: the UI shows it in a sandboxed frame (not in the DOM dump); it is served as logged.
    artifact = f"{mlflow_server.url}/get-artifact?path=misclassified_test.html&run_uuid={run.info.run_id}"
    with urllib.request.urlopen(artifact, timeout=10) as response:
        assert html.escape(sentence) in response.read().decode()
    _screenshot(table.replace(".json?", ".html?"), tmp_path / "shot", "mlflow-run-errors.png")
