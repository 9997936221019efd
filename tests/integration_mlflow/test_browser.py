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
