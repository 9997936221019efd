"""Active learning against a real Label Studio: an uncertainty-ranked push never re-sends what the project holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ls_helpers import LiveServer, ingest_articles, project_tasks
from typer.testing import CliRunner

from toolkit.cli import app

pytestmark = pytest.mark.integration

PROJECT = "active queue"


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.fixture
def claims_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A claims model trained on the small sample (tests/sample_exports.py) in a throwaway MLflow store."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sample_exports import train_sample_claims_model

    trained = train_sample_claims_model(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained["uri"])  # the CLI's push loads the model from there
    return trained["model"]


def test_uncertainty_push_skips_labelled_articles(
    ls_env: LiveServer, tmp_path: Path, claims_model: str
) -> None:
    from toolkit.ingest import read_articles
    from toolkit.predict import active_selector

    articles = ingest_articles(tmp_path, 16)
    assert run("labelstudio", "init", "--project", PROJECT).exit_code == 0
    first = run("push", articles, "--project", PROJECT, "--rules", "--limit", "5")
    assert first.exit_code == 0 and "5 new tasks" in first.output, first.output
    sdk = ls_env.sdk()
    project = next(p for p in sdk.projects.list(title=PROJECT) if p.title == PROJECT)
    held = project_tasks(ls_env, project.id)
    for task in held[:3]:  # labelled: the annotator kept the rule pre-annotation, cue regions included
        sdk.annotations.create(id=task.id, result=task.predictions[0].result, lead_time=10.0)
    held_ids = {task.data["article_id"] for task in held}

    # What the model is least sure about among the articles the project does not hold, computed locally.
    candidates = [a for a in read_articles(articles) if a.id not in held_ids]
    expected = active_selector([claims_model], "uncertainty")(candidates, 4)

    pushed = run(
        "push",
        articles,
        "-p",
        PROJECT,
        "--predictions",
        claims_model,
        "--select",
        "uncertainty",
        "--limit",
        4,
    )
    assert pushed.exit_code == 0, pushed.output
    assert "pushed 4 articles" in pushed.output and "4 new tasks, 0 already there" in pushed.output
    assert "chosen by uncertainty (data.al_score), 5 already in the project skipped" in pushed.output
    tasks = project_tasks(ls_env, project.id)
    assert len(tasks) == 9  # nothing held was sent again, labelled or not
    queued = sorted((t for t in tasks if "al_score" in t.data), key=lambda t: t.data["al_rank"])
    assert [t.data["article_id"] for t in queued] == [article.id for article, _ in expected]
    assert [t.data["al_score"] for t in queued] == [extra["al_score"] for _, extra in expected]
    scores = [t.data["al_score"] for t in queued]
    assert scores == sorted(scores, reverse=True) and all(0 < s < 1 for s in scores)
    assert all(t.data["al_strategy"] == "uncertainty" and len(t.predictions) == 1 for t in queued)

    again = run(
        "push", articles, "-p", PROJECT, "--predictions", claims_model, "--select", "margin", "--limit", 100
    )
    assert again.exit_code == 0 and "pushed 7 articles" in again.output and "9 already in" in again.output
    assert len(project_tasks(ls_env, project.id)) == 16
