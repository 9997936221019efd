"""One end-to-end flow against the team stack: ingest → push → annotate (API) → pull → dataset build → train →
promote → predict, with every toolkit command configured only by the .env that `make stack` writes."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.io import read_env_file

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "exports" / "news-sample" / "2026-11-29T120000Z.json"
PROJECT = "Stack flow"
ARTICLES = 24


def run(*args: object, input: str | None = None) -> str:
    result = CliRunner().invoke(app, [str(arg) for arg in args], input=input)
    assert result.exit_code == 0, result.output
    return result.output


def _sample_tasks() -> list[dict]:
    """Annotated, uncancelled tasks of the synthetic sample (team-written articles, each with one annotation)."""
    tasks = json.loads(SAMPLE.read_text(encoding="utf-8"))
    kept = [t for t in tasks if any(not a.get("was_cancelled") and a["result"] for a in t["annotations"])]
    return sorted(kept, key=lambda t: t["data"]["article_id"])[:ARTICLES]


def test_the_loop_on_the_stack(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, env_file, pids = stack
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    written = read_env_file(env_file)
    assert written["LABEL_STUDIO_URL"] == started.labelstudio.url
    assert written["MLFLOW_TRACKING_URI"] == started.mlflow.url
    assert started.postgres.url("x", "pw").startswith("postgresql://toolkit:pw@127.0.0.1:")
    # What `set -a; . ./.env; set +a` does in a shell: the toolkit then needs nothing else.
    for key in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "MLFLOW_TRACKING_URI"):
        monkeypatch.setenv(key, written[key])
    secret = written["STACK_POSTGRES_PASSWORD"]
    for log in (started.labelstudio.log, started.mlflow.log):
        assert secret not in log.read_text(errors="replace")

    samples = _sample_tasks()
    raw = tmp_path / "raw.jsonl"
    raw.write_text(
        "".join(
            json.dumps(
                {
                    "id": t["data"]["article_id"],
                    "title": t["data"].get("title", ""),
                    "text": t["data"]["text"],
                }
            )
            + "\n"
            for t in samples
        ),
        encoding="utf-8",
    )
    articles = tmp_path / "articles.jsonl"
    run("ingest", raw, "--output", articles)
    run("labelstudio", "init", "--project", PROJECT)
    pushed = run("push", articles, "--project", PROJECT, "--rules")
    assert f"{ARTICLES} new tasks" in pushed, pushed

    added = run("labelstudio", "users", "add", "marta@toolkit.test", input="annotate-1234\nannotate-1234\n")
    assert "added marta@toolkit.test" in added and "annotate-1234" not in added, added
    again = run("labelstudio", "users", "add", "marta@toolkit.test", input="annotate-1234\nannotate-1234\n")
    assert "already a member" in again, again

    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(
        base_url=written["LABEL_STUDIO_URL"], api_key=written["LABEL_STUDIO_API_KEY"], max_retries=0
    )
    marta = next(user for user in sdk.users.list() if user.email == "marta@toolkit.test")
    project = next(p for p in sdk.projects.list(title=PROJECT) if p.title == PROJECT)
    by_text = {t["data"]["text"]: t["annotations"][0]["result"] for t in samples}
    tasks = list(sdk.tasks.list(project=project.id, page_size=100))
    assert len(tasks) == ARTICLES
    for task in tasks:
        # The annotator's work, as the editor would save it: the sample's annotation of the same text.
        sdk.annotations.create(id=task.id, result=by_text[task.data["text"]], completed_by=marta.id)

    exports = tmp_path / "exports"
    pulled = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert f"{ARTICLES} tasks, {ARTICLES} annotations kept" in pulled, pulled
    (snapshot,) = exports.glob("*/2*.json")

    data = tmp_path / "data"
    run("dataset", "build", snapshot, "--output", data, "--validation", "0.2", "--test", "0.2")
    experiment = tmp_path / "claims.toml"
    experiment.write_text(
        '[experiment]\nname = "claims-stack"\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'
    )
    trained = run("train", experiment, "--data", data)
    run_id = re.search(r"\(([0-9a-f]{32})\) in toolkit-claims", trained).group(1)
    promoted = run("runs", "promote", run_id, "--alias", "champion")
    assert "models:/toolkit-claims@champion" in promoted, promoted
    predictions = tmp_path / "predictions.jsonl"
    predicted = run("predict", "models:/toolkit-claims@champion", articles, "-o", predictions)
    assert f"wrote predictions for {ARTICLES} articles" in predicted, predicted
    # The same on Dask: a LocalCluster whose worker loads the champion from the MLflow server on PostgreSQL.
    on_dask = tmp_path / "predictions-dask.jsonl"
    predicted = run(
        "predict",
        "models:/toolkit-claims@champion",
        articles,
        "-o",
        on_dask,
        "--workers",
        "1",
        "--chunk-size",
        "5",
    )
    assert f"wrote predictions for {ARTICLES} articles" in predicted, predicted
    assert "in 5 chunks on LocalCluster(1 worker)" in predicted, predicted
    assert on_dask.read_bytes() == predictions.read_bytes()

    # Pre-annotating a few articles of a project that holds more: Label Studio on PostgreSQL is asked about
    # those ids only (the in_list filter on data.article_id), and a second push adds nothing.
    few = tmp_path / "few.jsonl"
    few.write_text(
        "".join(articles.read_text(encoding="utf-8").splitlines(keepends=True)[:5]), encoding="utf-8"
    )
    model = ("--predictions", "models:/toolkit-claims@champion")
    before = len(list(sdk.predictions.list(project=project.id)))
    pushed = run("push", few, "--project", PROJECT, *model)
    assert "0 new tasks, 5 already there (5 of them given these pre-annotations now)" in pushed, pushed
    pushed = run("push", few, "--project", PROJECT, *model)
    assert "0 new tasks, 5 already there (0 of them given these pre-annotations now)" in pushed, pushed
    assert len(list(sdk.predictions.list(project=project.id))) == before + 5

    # The run and its model artifacts went through the server: the runs into PostgreSQL, the files into the
    # artifact folder it serves.
    artifacts = started.mlflow.root / "artifacts"
    assert any(path.name == "MLmodel" for path in artifacts.rglob("MLmodel"))
    assert not (tmp_path / "mlruns").exists() and not (ROOT / "mlruns").exists()


def test_stop_leaves_nothing_running(stack) -> None:
    from toolkit.servers._process import alive
    from toolkit.servers.stack import stack_status, stop_stack

    started, _, pids = stack
    assert all(alive(pid) for pid in (started.postgres.pid, started.labelstudio.pid, started.mlflow.pid))
    stopped = stop_stack(started.root)
    assert stopped == ["MLflow", "Label Studio", "PostgreSQL"]
    assert [pid for pid in pids if alive(pid)] == []
    assert set(stack_status(started.root).values()) == {None}
    assert stop_stack(started.root) == []
