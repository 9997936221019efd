"""The annotator workflow against a real Label Studio: init → export → annotate → pull → build → train → export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ls_helpers import EMOJI_ID, LiveServer, ingest_articles, project_tasks
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.labelstudio.exports import read_export
from toolkit.schema import load_schema

pytestmark = pytest.mark.integration

PROJECT = "round trip"


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def _region(text: str, group: str, label: str, start: int, end: int, rid: str) -> dict:
    return {
        "id": rid,
        "from_name": group,
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def _annotation_from(task, people: list[str]) -> list[dict]:
    """What an annotator submits after correcting the rule pre-annotation: keep its spans, add people and the
    company, and drop the claim on the closing 'story number' sentence, which is no claim."""
    text = task.data["text"]
    regions = [
        region
        for region in task.predictions[0].result
        if not (region["from_name"] == "claims" and re.search(r"numéro|number", region["value"]["text"]))
    ]
    regions = [{key: value for key, value in region.items() if key != "score"} for region in regions]
    for person in people:
        start = text.find(person)
        if start >= 0 and not any(r["value"]["start"] == start for r in regions):
            regions.append(_region(text, "entities", "PER", start, start + len(person), f"per{start}"))
    company = task.data["title"].rsplit(" ", 1)[0]
    start = text.find(company)
    regions.append(_region(text, "entities", "ORG", start, start + len(company), f"org{start}"))
    return regions


def test_round_trip(ls_env: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles = ingest_articles(tmp_path, 50)
    exports = tmp_path / "exports"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")

    created = run("labelstudio", "init", "--project", PROJECT)
    assert created.exit_code == 0, created.output
    assert created.output.startswith(f"created project {PROJECT!r}")
    again = run("labelstudio", "init", "--project", PROJECT)
    assert again.exit_code == 0 and again.output.startswith(f"unchanged project {PROJECT!r}"), again.output
    sdk = ls_env.sdk()
    project = next(p for p in sdk.projects.list(title=PROJECT) if p.title == PROJECT)
    assert "Annotator guidelines" in (sdk.projects.get(project.id).expert_instruction or "")

    first = run("export", articles, "--project", PROJECT, "--rules", "--batch-size", "20")
    assert first.exit_code == 0, first.output
    assert "50 new tasks, 0 already there" in first.output and "3 requests" in first.output, first.output
    tasks = project_tasks(ls_env, project.id)
    assert len(tasks) == 50
    for task in tasks:
        (prediction,) = task.predictions
        assert (
            prediction.model_version == "rules v1"
        )  # the alias Label Studio shows whole (push.model_version_alias)
        for region in prediction.result:
            # Code-point offsets: what Label Studio 1.23.2 highlights (and what a hand-made region holds).
            assert (
                task.data["text"][region["value"]["start"] : region["value"]["end"]]
                == region["value"]["text"]
            )
    emoji_task = next(task for task in tasks if task.data["article_id"] == EMOJI_ID)
    assert "🚀" in emoji_task.data["text"] and any(
        region["value"]["labels"] == ["MONEY"] for region in emoji_task.predictions[0].result
    )

    second = run("export", articles, "--project", PROJECT, "--rules")
    assert second.exit_code == 0, second.output
    assert "0 new tasks, 50 already there (0 of them given these pre-annotations now)" in second.output
    assert len(project_tasks(ls_env, project.id)) == 50

    people = ["Zoé Durand", "Marta Lindqvist", "Paul Garnier", "Lena Varga"]
    annotated = sorted(tasks, key=lambda task: task.data["article_id"])[:14]
    for task in annotated:
        sdk.annotations.create(id=task.id, result=_annotation_from(task, people), lead_time=30.0)
    reviewer = sdk.users.create(username="reviewer", email="reviewer@toolkit.test", password="not-used-1234")
    sdk.annotations.create(
        id=annotated[0].id, result=_annotation_from(annotated[0], people), completed_by=reviewer.id
    )
    skipped = sorted(tasks, key=lambda task: task.data["article_id"])[20]
    sdk.annotations.create(id=skipped.id, result=[], was_cancelled=True)

    pulled = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert pulled.exit_code == 0, pulled.output
    assert "15 tasks, 15 annotations kept, 1 cancelled" in pulled.output, pulled.output
    folder = exports / f"round-trip-p{project.id}"  # the title's slug and the project id
    assert f"into {folder}/" in pulled.output
    (snapshot,) = folder.glob("2*.json")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}Z\.json", snapshot.name)
    raw = json.loads(snapshot.read_text(encoding="utf-8"))
    two_annotators = next(task for task in raw if task["id"] == annotated[0].id)
    assert {annotation["completed_by"] for annotation in two_annotators["annotations"]} == {1, reviewer.id}
    assert all(isinstance(p, dict) and p["result"] for task in raw for p in task["predictions"])
    parsed = read_export(snapshot, load_schema(), strict=True)
    assert parsed.report.utf16_repaired == 0 and parsed.report.bad_spans == 0
    emoji = next(a for a in parsed.annotations if a.article_id == EMOJI_ID)
    per = next(region for region in emoji.regions if region.label == "PER")
    assert (per.start, per.end, per.text) == (2, 12, "Zoé Durand")

    unchanged = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert unchanged.exit_code == 0 and "nothing written" in unchanged.output, unchanged.output
    assert len(list(folder.glob("2*.json"))) == 1

    data = tmp_path / "data"
    built = run("dataset", "build", snapshot, "--output", data)
    assert built.exit_code == 0, built.output
    trained = run("train", "experiments/claims-logreg.toml", "--data", data)
    assert trained.exit_code == 0, trained.output
    model_uri = re.search(r"model: (\S+)", trained.output).group(1)

    third = run("export", articles, "--project", PROJECT, "--predictions", model_uri)
    assert third.exit_code == 0, third.output
    assert "0 new tasks, 50 already there (50 of them given these pre-annotations now)" in third.output
    tasks = project_tasks(ls_env, project.id)
    assert len(tasks) == 50
    versions = {prediction.model_version for task in tasks for prediction in task.predictions}
    assert "rules v1" in versions and len(versions) == 2
    fourth = run("export", articles, "--project", PROJECT, "--predictions", model_uri)
    assert "(0 of them given these pre-annotations now)" in fourth.output, fourth.output
    assert sum(len(task.predictions) for task in project_tasks(ls_env, project.id)) == 100
