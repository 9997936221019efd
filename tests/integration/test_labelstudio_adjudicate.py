"""Annotation that learns, against a real Label Studio: agreement on a live project with two annotators, logged
to MLflow; disagreements sent to `<NAME> · review`, settled there by a lead and preferred by `toolkit pull`;
suspect labels from `toolkit review` (claims and entity spans) sent to the same review project, and the lead's
decisions on them pulled back into the training data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ls_helpers import LiveServer, ingest_articles, project_tasks
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.labelstudio.exports import choose_annotation, read_export
from toolkit.schema import load_schema

pytestmark = pytest.mark.integration

PROJECT = "two annotators"
REVIEW = f"{PROJECT} · review"


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def _claims(task, labels: list[str]) -> list[dict]:
    """A claim region over each of the task's first sentences, with these statuses, and one ORG entity."""
    text = task.data["text"]
    regions = []
    for index, ((start, end), label) in enumerate(zip(task.data["sentences"], labels, strict=False)):
        regions.append(
            {
                "id": f"c{index}",
                "from_name": "claims",
                "to_name": "text",
                "type": "labels",
                "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
            }
        )
    company = task.data["title"].rsplit(" ", 1)[0]
    start = text.find(company)
    value = {"start": start, "end": start + len(company), "text": company, "labels": ["ORG"]}
    regions.append({"id": "e0", "from_name": "entities", "to_name": "text", "type": "labels", "value": value})
    return regions


def _project(server: LiveServer, title: str):
    return next(p for p in server.sdk().projects.list(title=title) if p.title == title)


def test_agreement_adjudication_and_pull_prefer_the_lead(
    ls_env: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    articles = ingest_articles(tmp_path, 4)
    assert run("labelstudio", "init", "--project", PROJECT).exit_code == 0
    pushed = run("push", articles, "--project", PROJECT)
    assert pushed.exit_code == 0, pushed.output
    sdk = ls_env.sdk()
    project = _project(ls_env, PROJECT)
    tasks = sorted(project_tasks(ls_env, project.id), key=lambda task: task.data["article_id"])
    second = sdk.users.create(username="second", email="second@toolkit.test", password="not-used-1234")
    me = sdk.users.whoami().id
    # Three tasks annotated twice: two agree, the third differs on its first sentence's status.
    for task in tasks[:3]:
        sdk.annotations.create(id=task.id, result=_claims(task, ["FACT", "REPORTED"]), completed_by=me)
    sdk.annotations.create(
        id=tasks[0].id, result=_claims(tasks[0], ["FACT", "REPORTED"]), completed_by=second.id
    )
    sdk.annotations.create(
        id=tasks[1].id, result=_claims(tasks[1], ["FACT", "REPORTED"]), completed_by=second.id
    )
    disputed = tasks[2]
    sdk.annotations.create(
        id=disputed.id, result=_claims(disputed, ["OPINION", "REPORTED"]), completed_by=second.id
    )

    measured = run("agreement", "--project", PROJECT, "--log", "--adjudicate", "--show", "5")
    assert measured.exit_code == 0, measured.output
    # 12 sentences (4 an article), one differs: FACT × OPINION. Kappa by hand: observed 11/12; marginals FACT
    # 3/2, OPINION 0/1, REPORTED 3/3, NONE 6/6 → expected 51/144.
    kappa = (11 / 12 - 51 / 144) / (1 - 51 / 144)
    assert measured.output.startswith("3 tasks annotated twice or more, 12 sentences"), measured.output
    assert f"{me}: FACT, {second.id}: OPINION" in measured.output
    assert f"created review project {REVIEW!r}: 1 new adjudication task, 0 already there" in measured.output
    run_id = re.search(r"as run (\w+) in toolkit-agreement", measured.output).group(1)

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    logged = mlflow.get_run(run_id).data
    assert logged.params == {"project": PROJECT, "snapshot": logged.params["snapshot"]}
    assert logged.params["snapshot"].startswith("sha256:")
    assert logged.metrics[f"kappa.pair.{me}_{second.id}"] == pytest.approx(kappa)
    assert logged.metrics["disagreements"] == 1.0 and logged.metrics["tasks"] == 3.0
    assert logged.metrics["kappa.class.OPINION"] == 0.0 and logged.metrics["kappa.class.REPORTED"] == 1.0
    assert logged.metrics["entity_f1.ORG"] == 1.0 and 0.8 < logged.metrics["alpha"] < 0.9

    review = _project(ls_env, REVIEW)
    (task,) = project_tasks(ls_env, review.id)
    assert task.data["article_id"] == disputed.data["article_id"] and task.data["review"] == "adjudicate"
    assert task.data["text"] == disputed.data["text"] and task.data["reason"].startswith(
        "1 sentence disputed: #0 "
    )
    shown = {prediction.model_version: prediction.result for prediction in task.predictions}
    assert set(shown) == {f"annotator {me}", f"annotator {second.id}"}
    claims = [r["value"]["labels"] for r in shown[f"annotator {second.id}"] if r["from_name"] == "claims"]
    assert claims == [["OPINION"], ["REPORTED"]]
    assert sdk.projects.get(review.id).label_config == sdk.projects.get(project.id).label_config

    again = run("agreement", "--project", PROJECT, "--adjudicate")
    assert f"review project {REVIEW!r}: 0 new adjudication tasks, 1 already there" in again.output, (
        again.output
    )
    assert len(project_tasks(ls_env, review.id)) == 1

    exports = tmp_path / "exports"
    before = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert before.exit_code == 0 and "adjudicated" not in before.output, before.output
    # The lead takes the second annotator's reading, as the UI does when a prediction is accepted.
    lead = sdk.users.create(username="lead", email="lead@toolkit.test", password="not-used-1234")
    sdk.annotations.create(id=task.id, result=shown[f"annotator {second.id}"], completed_by=lead.id)
    pulled = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert pulled.exit_code == 0, pulled.output
    assert "3 tasks, 7 annotations kept" in pulled.output
    assert "1 adjudicated in the review project (preferred over the annotators')" in pulled.output
    snapshot = max((exports / f"two-annotators-p{project.id}").glob("2*.json"))
    raw = json.loads(snapshot.read_text(encoding="utf-8"))
    merged = next(t for t in raw if t["id"] == disputed.id)["annotations"]
    assert [a["completed_by"] for a in merged if a.get("ground_truth")] == [lead.id]
    chosen = choose_annotation(
        [a for a in read_export(snapshot, load_schema()).annotations if a.task_id == disputed.id]
    )
    assert chosen.annotator == lead.id and chosen.regions_of("claims")[0].label == "OPINION"
    # The adjudication is no third annotator: the figures on the snapshot are the live project's.
    on_file = run("agreement", "--file", snapshot, "--show", "0")
    assert on_file.output.splitlines()[0] == measured.output.splitlines()[0]
    unchanged = run("pull", "--project", PROJECT, "--exports-dir", exports)
    assert "nothing written" in unchanged.output, unchanged.output


def test_review_sends_suspects_to_the_review_project(
    ls_env: LiveServer, tmp_path: Path, small_export: Path
) -> None:
    from toolkit.dataset import build_dataset

    project = "suspects"
    assert run("labelstudio", "init", "--project", project).exit_code == 0
    data = tmp_path / "data"
    build_dataset([small_export], data, validation_fraction=0.2, test_fraction=0.2)
    experiment = tmp_path / "claims.toml"
    experiment.write_text(
        '[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\nmin_df = 1\n'
    )
    args = ("review", experiment, "--data", data, "--folds", "3", "--limit", "3", "--project", project)
    sent = run(*args)
    assert sent.exit_code == 0, sent.output
    assert f"created review project '{project} · review': 3 new suspect tasks, 0 already there" in sent.output
    listed = re.findall(r"^  (\S+)  (\w+) → (\w+) \((\S+) vs (\S+)\)", sent.output, re.MULTILINE)[:3]
    review = _project(ls_env, f"{project} · review")
    tasks = {task.data["sentence_id"]: task for task in project_tasks(ls_env, review.id)}
    assert sorted(tasks) == sorted(sentence for sentence, *_ in listed)
    for sentence, given, suggested, given_p, suggested_p in listed:
        task = tasks[sentence]
        assert (task.data["review"], task.data["given"], task.data["suggested"]) == (
            "suspect",
            given,
            suggested,
        )
        assert f"labelled {given} ({given_p})" in task.data["reason"]
        assert f"model suggests {suggested} ({suggested_p})" in task.data["reason"]
        (prediction,) = task.predictions
        labels = [region["value"]["labels"] for region in prediction.result]
        assert labels == ([] if suggested == "NONE" else [[suggested]])
        assert prediction.model_version == f"suggested {suggested}"
    again = run(*args)
    assert f"\nreview project '{project} · review': 0 new suspect tasks, 3 already there" in again.output, (
        again.output
    )
    assert len(project_tasks(ls_env, review.id)) == 3
    missing = run(*args[:-1], "no such project")
    assert missing.exit_code == 1 and "no Label Studio project called 'no such project'" in missing.output
    assert not [p for p in ls_env.sdk().projects.list() if p.title == "no such project · review"]


def test_a_leads_decision_on_a_suspect_is_pulled_into_the_training_data(
    ls_env: LiveServer, tmp_path: Path, small_export: Path
) -> None:
    """Suspects of both kinds sent from a project's own pulled data; the lead settles one claim and one entity
    suspect through the API; the next pull writes both into their articles and `dataset build` uses them."""
    from toolkit.dataset import build_dataset, load_dataset
    from toolkit.text.bio import bio_to_spans

    project = "lead decides"
    assert run("labelstudio", "init", "--project", project).exit_code == 0
    sdk = ls_env.sdk()
    source = _project(ls_env, project)
    annotated = [
        {"data": task["data"], "annotations": [{"result": task["annotations"][0]["result"]}]}
        for task in json.loads(small_export.read_text(encoding="utf-8"))
    ]
    sdk.projects.import_tasks(id=source.id, request=annotated)
    exports = tmp_path / "exports"
    assert run("pull", "--project", project, "--exports-dir", exports).exit_code == 0
    folder = exports / f"lead-decides-p{source.id}"
    data = tmp_path / "data"
    build_dataset([max(folder.glob("2*.json"))], data, validation_fraction=0.2, test_fraction=0.2)
    claims = tmp_path / "claims.toml"
    claims.write_text('[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\nmin_df = 1\n')
    entities = tmp_path / "entities.toml"
    entities.write_text(
        '[experiment]\ntask = "entities"\n[model]\nestimator = "EntityTagger"\nmax_iter = 3\n'
    )
    for experiment in (claims, entities):
        sent = run("review", experiment, "--data", data, "--folds", "3", "--limit", "2", "--project", project)
        assert sent.exit_code == 0 and "2 new suspect tasks" in sent.output, sent.output
    review = _project(ls_env, f"{project} · review")
    tasks = project_tasks(ls_env, review.id)
    assert sorted(task.data["group"] for task in tasks) == ["claims", "claims", "entities", "entities"]
    for task in tasks:
        (prediction,) = task.predictions
        for region in prediction.result:  # every suggested region fits its sentence
            value = region["value"]
            assert task.data["text"][value["start"] : value["end"]] == value["text"]
            assert region["from_name"] == task.data["group"]
    # The lead accepts the model's reading of one claim suspect and one entity suspect.
    lead = sdk.users.create(username="lead2", email="lead2@toolkit.test", password="not-used-1234")
    decided = [next(t for t in tasks if t.data["group"] == group) for group in ("claims", "entities")]
    for task in decided:
        sdk.annotations.create(id=task.id, result=task.predictions[0].result, completed_by=lead.id)
    pulled = run("pull", "--project", project, "--exports-dir", exports)
    assert pulled.exit_code == 0, pulled.output
    assert "2 suspect decisions from the review project written into their articles" in pulled.output
    rebuilt = tmp_path / "rebuilt"
    build_dataset([max(folder.glob("2*.json"))], rebuilt, validation_fraction=0.2, test_fraction=0.2)
    claim_task, entity_task = decided
    rows, _ = load_dataset(rebuilt, "claims")
    (row,) = [r for split in rows.values() for r in split if r["id"] == claim_task.data["sentence_id"]]
    names = rows["train"].features["label"].names
    assert names[row["label"]] == claim_task.data["suggested"] != claim_task.data["given"]
    rows, _ = load_dataset(rebuilt, "entities")
    (row,) = [r for split in rows.values() for r in split if r["id"] == entity_task.data["sentence_id"]]
    tags = rows["train"].features["tags"].feature.names
    tokens = list(zip(row["tokens"], row["starts"], row["ends"], strict=True))
    spans = {
        (row["text"][s.start : s.end], s.label) for s in bio_to_spans(tokens, [tags[t] for t in row["tags"]])
    }
    suggested = {(r["value"]["text"], r["value"]["labels"][0]) for r in entity_task.predictions[0].result}
    assert spans == suggested
