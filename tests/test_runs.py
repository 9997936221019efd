"""Runs: provenance tags and names, `toolkit runs list|compare|promote`, and predicting with the champion."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from mlflow import MlflowClient
from sample_exports import EN, FR, ROOT, make_export
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import build_dataset
from toolkit.tracking.log import train

SECRET = "ls-key-that-must-never-reach-mlflow-0123456789"
CLAIMS = '[experiment]\nname = "{name}"\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n{model}\n'
WIDE = {"COLUMNS": "250"}  # rich wraps tables to the terminal; keep rows on one line for the assertions


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two claims runs on a small export kept where `toolkit pull` puts snapshots, with an LS key in the env."""
    root = tmp_path_factory.mktemp("runs")
    export = root / "annotations" / "exports" / "demo-project" / "2026-01-01T000000Z.json"
    export.parent.mkdir(parents=True)
    articles = [(f"en-{i}", "en", text) for i, text in enumerate(EN)] + [
        (f"fr-{i}", "fr", text) for i, text in enumerate(FR)
    ]
    export.write_text(json.dumps(make_export(articles), ensure_ascii=False))
    data = root / "data"
    manifest = build_dataset([export], data, validation_fraction=0.2, test_fraction=0.2).manifest
    uri = f"sqlite:///{root / 'mlflow.db'}"
    files = []
    for name, model in (
        ("claims-words", 'classifier = "logreg"\nC = 1.0\nuse_cues = false\nuse_char = false'),
        ("claims-cues", 'classifier = "logreg"\nC = 4.0\nuse_cues = true\nuse_char = false'),
    ):
        path = root / f"{name}.toml"
        path.write_text(CLAIMS.format(name=name, model=model))
        files.append(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABEL_STUDIO_API_KEY", SECRET)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        results = [train(path, data, seed=7) for path in files]
    return {"uri": uri, "results": results, "files": files, "manifest": manifest, "root": root}


def invoke(*args, uri):
    return CliRunner().invoke(app, [*args, "--tracking-uri", uri], env=WIDE)


def test_a_run_records_what_it_was_made_from(trained):
    result, path, manifest = trained["results"][0], trained["files"][0], trained["manifest"]
    run = MlflowClient(trained["uri"]).get_run(result.run_id)
    tags, params = run.data.tags, run.data.params
    # The dataset version is in the name: runs of one config on two datasets never share a name.
    assert (
        run.info.run_name
        == f"claims · ClaimClassifier(logreg) · data {manifest.version[:8]} · "
        + (run.data.tags["config.sha256"][:7])
    )
    assert run.info.run_name.endswith(hashlib.sha256(path.read_bytes()).hexdigest()[:7])
    assert tags["config.sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tags["dataset.content_hash"] == manifest.content_hash and len(manifest.content_hash) == 64
    assert tags["dataset.split_seed"] == str(manifest.seed)
    assert tags["labelstudio.projects"] == "demo-project"
    snapshots = json.loads(tags["labelstudio.snapshots"])
    assert snapshots == [
        {
            "project": "demo-project",
            "snapshot": "2026-01-01T000000Z.json",
            "sha256": manifest.sources[0]["sha256"],
        }
    ]
    assert tags["schema.sha256"] == manifest.schema_digest
    guidelines = (ROOT / "annotations" / "GUIDELINES.md").read_bytes()
    assert tags["guidelines.sha256"] == hashlib.sha256(guidelines).hexdigest()
    assert tags["guidelines.version"] == max(re.findall(rb"Guidelines version (\d+)", guidelines)).decode()
    assert re.fullmatch(r"[0-9a-f]{40}", tags["git.commit"]) and tags["git.dirty"] in ("true", "false")
    assert tags["version.mlflow"] and tags["version.scikit-learn"]
    assert params["seed"] == "7" and params["model.C"] == "1.0"


def test_no_environment_variable_reaches_a_run(trained, tmp_path):
    import mlflow

    client = MlflowClient(trained["uri"])
    for result in trained["results"]:
        run = client.get_run(result.run_id)
        assert SECRET not in json.dumps([run.data.tags, run.data.params])
        folder = mlflow.artifacts.download_artifacts(
            run_id=result.run_id, dst_path=str(tmp_path / result.run_id), tracking_uri=trained["uri"]
        )
        for file in Path(folder).rglob("*"):
            assert not file.is_file() or SECRET.encode() not in file.read_bytes(), file


def test_list_shows_top_level_runs_newest_first(trained):
    first, second = trained["results"]
    result = invoke("runs", "list", uri=trained["uri"])
    assert result.exit_code == 0, result.output
    assert result.output.index(second.run_id) < result.output.index(first.run_id)
    assert first.run_name in result.output
    assert f"{first.metrics['test.macro_f1']:.3f}" in result.output
    limited = invoke("runs", "list", "--limit", "1", uri=trained["uri"])
    assert second.run_id in limited.output and first.run_id not in limited.output
    other_task = invoke("runs", "list", "--task", "entities", uri=trained["uri"])
    assert other_task.exit_code == 0 and "no runs yet" in other_task.output
    for mistake in (["--task", "cats"], ["--limit", "0"]):
        bad = invoke("runs", "list", *mistake, uri=trained["uri"])
        assert bad.exit_code == 2 and bad.output.count("\n") == 1, bad.output
        assert bad.output.startswith(f"error: Invalid value for '{mistake[0]}'"), bad.output


def test_list_fits_80_columns_and_wide_shows_every_column(trained):
    first, second = trained["results"]
    narrow = CliRunner().invoke(
        app, ["runs", "list", "--tracking-uri", trained["uri"]], env={"COLUMNS": "80"}
    )
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80, narrow.output
    for run in (first, second):
        assert run.run_id in narrow.output  # whole, on one line: it is copied into compare and promote
    assert "started" not in narrow.output and "--wide" in narrow.output
    wide = invoke("runs", "list", "--wide", uri=trained["uri"])
    line = next(line for line in wide.output.splitlines() if first.run_id in line)
    assert first.run_name in line and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", line)
    assert "started" in wide.output and "cv" in wide.output


@pytest.mark.parametrize("split", ["validation", "test", None])
def test_compare_puts_the_per_class_f1_of_both_runs_side_by_side(trained, split):
    first, second = trained["results"]
    chosen = split or "validation"  # choose on validation, report test: validation unless told
    options = ["--split", split] if split else []
    result = invoke("runs", "compare", first.run_id, second.run_id, *options, uri=trained["uri"])
    assert result.exit_code == 0, result.output
    assert f"{chosen.capitalize()} F1 per class ({chosen}.f1.<CLASS>)" in result.output
    per_class = result.output.split("F1 per class")[1]
    classes = [
        name.removeprefix(f"{chosen}.f1.") for name in first.metrics if name.startswith(f"{chosen}.f1.")
    ]
    assert classes
    for label in classes:
        row = next(line for line in per_class.splitlines() if re.match(rf"[│|]\s*{label}\s*[│|]", line))
        values = [run.metrics.get(f"{chosen}.f1.{label}") for run in (first, second)]
        expected = [f"{value:.3f}" if value is not None else "–" for value in values]
        assert re.findall(r"\d\.\d{3}|–", row) == expected, row
    assert first.run_name in result.output or first.run_id[:8] in result.output
    assert "seed" in result.output  # identical params are shown without --diff-only


def test_diff_only_hides_identical_params(trained):
    first, second = trained["results"]
    result = invoke("runs", "compare", first.run_id, second.run_id, "--diff-only", uri=trained["uri"])
    assert result.exit_code == 0, result.output
    params = result.output.split("Metrics")[0]
    assert "model.C" in params and "model.use_cues" in params and "experiment.name" in params
    for same in ("seed", "data.version", "model.classifier", "model.use_char"):
        assert not re.search(rf"[│|]\s*{re.escape(same)}\s*[│|]", params), same
    assert "identical hidden" in params
    assert "test.macro_f1" in result.output  # metrics are all kept


def test_compare_split_is_a_choice(trained):
    first = trained["results"][0]
    result = invoke("runs", "compare", first.run_id, "--split", "train", uri=trained["uri"])
    assert result.exit_code == 2 and "'--split'" in result.output and result.output.count("\n") == 1


def test_an_unknown_run_is_one_line(trained):
    result = invoke("runs", "compare", "0" * 32, uri=trained["uri"])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: run {'0' * 32}: ") and result.output.count("\n") == 1


def test_promote_sets_the_alias_that_predict_uses(trained, tmp_path, monkeypatch):
    first, second = trained["results"]
    uri = trained["uri"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    promoted = invoke("runs", "promote", first.run_id, uri=uri)
    assert promoted.exit_code == 0, promoted.output
    assert "registered as toolkit-claims v1; @champion → v1" in promoted.output
    client = MlflowClient(uri)
    version = client.get_model_version_by_alias("toolkit-claims", "champion")
    assert (str(version.version), version.run_id) == ("1", first.run_id)
    assert version.source.startswith("models:/m-")

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "Globex is in early talks to buy Initech, people familiar with the matter said.\n"
    )
    articles = tmp_path / "articles.jsonl"
    assert CliRunner().invoke(app, ["ingest", str(raw), "--output", str(articles)]).exit_code == 0
    output = tmp_path / "predictions.jsonl"
    predicted = CliRunner().invoke(
        app, ["predict", "models:/toolkit-claims@champion", str(articles), "--output", str(output)]
    )
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(output.read_text().splitlines()[0])["model_version"] == "toolkit-claims v1"

    moved = invoke("runs", "promote", second.run_id, uri=uri)
    assert "registered as toolkit-claims v2; @champion → v2 (was v1)" in moved.output
    back = invoke("runs", "promote", first.run_id, uri=uri)
    assert "already registered as toolkit-claims v1; @champion → v1 (was v2)" in back.output
    assert len(client.search_model_versions("name = 'toolkit-claims'")) == 2
    from toolkit.tracking.store import model_version_label

    assert model_version_label("models:/toolkit-claims/latest") == "toolkit-claims v2"  # not "vlatest"
    assert model_version_label("models:/toolkit-claims/1") == "toolkit-claims v1"
    challenger = invoke("runs", "promote", second.run_id, "--alias", "challenger", uri=uri)
    assert "already registered as toolkit-claims v2; @challenger → v2" in challenger.output
    aliases = client.get_registered_model("toolkit-claims").aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {"champion": "1", "challenger": "2"}
    listed = invoke("runs", "list", uri=uri)
    line = next(line for line in listed.output.splitlines() if first.run_id in line)
    assert "champion (toolkit-claims v1)" in line
    assert "challenger (toolkit-claims v2)" in next(
        line for line in listed.output.splitlines() if second.run_id in line
    )
    bad = invoke("runs", "promote", first.run_id, "--alias", "no spaces", uri=uri)
    assert bad.exit_code == 1 and bad.output.count("\n") == 1


def test_a_run_description_says_what_was_trained_on_which_data_and_its_scores(trained):
    result, manifest = trained["results"][0], trained["manifest"]
    run = MlflowClient(trained["uri"]).get_run(result.run_id)
    note = run.data.tags["mlflow.note.content"]
    first = note.splitlines()[0]
    assert first == (
        f"validation.macro_f1 {result.metrics['validation.macro_f1']:.3f} · "
        f"test.macro_f1 {result.metrics['test.macro_f1']:.3f}"
    )
    params = run.data.params
    rows = ", ".join(f"{split} {params[f'data.rows.{split}']}" for split in ("train", "validation", "test"))
    assert f"rows: {rows}" in note
    assert f"dataset {manifest.version[:8]}" in note and "2026-01-01T000000Z.json" in note
    assert "ClaimClassifier(" in note and "C=1.0" in note and "claims-words.toml" in note


def test_experiments_open_as_model_training_with_a_headline_view(trained):
    from toolkit.tracking.store import VIEW_TAG, experiment_id_for, experiment_tags, runs_page

    client = MlflowClient(trained["uri"])
    experiment = client.get_experiment_by_name("toolkit-claims")
    tags = experiment.tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"
    assert tags["mlflow.experiment.primaryMetric.name"] == "validation.macro_f1"
    view = json.loads(tags[VIEW_TAG])
    state = json.loads(view["state"])
    assert state["selectedColumns"][:3] == [
        "metrics.`validation.transfer.macro_f1`",
        "metrics.`validation.macro_f1`",
        "metrics.`test.macro_f1`",
    ]
    assert state["orderByKey"] == "metrics.`validation.macro_f1`" and state["orderByAsc"] is False
    assert {"name", "createdAt", "updatedAt"} <= set(view)
    entity_state = json.loads(json.loads(experiment_tags("entities", "span_f1")[VIEW_TAG])["state"])
    assert "metrics.`test.span_f1`" in entity_state["selectedColumns"]
    assert runs_page("http://h:1/", "7") == (
        "http://h:1/#/experiments/7/runs?workflowType=machine_learning&viewStateShareKey=headline"
    )

    # An experiment made before these tags gets them; a description someone wrote stays.
    import mlflow

    mlflow.set_tracking_uri(trained["uri"])
    old = client.create_experiment("made-before", tags={"mlflow.note.content": "mine"})
    assert experiment_id_for("made-before", trained["uri"], experiment_tags("claims", "macro_f1")) == old
    tags = client.get_experiment(old).tags
    assert (
        tags["mlflow.note.content"] == "mine" and tags["mlflow.experimentKind"] == "custom_model_development"
    )


def test_the_error_table_holds_whole_sentences_and_the_probability_of_the_prediction(trained, tmp_path):
    import mlflow
    import numpy as np

    from toolkit.tracking.registry import load_model

    result = trained["results"][1]
    uri = trained["uri"]
    path = mlflow.artifacts.download_artifacts(
        run_id=result.run_id,
        artifact_path="misclassified_test.json",
        dst_path=str(tmp_path),
        tracking_uri=uri,
    )
    table = json.loads(Path(path).read_text())
    assert table["columns"] == ["article_id", "text", "expected", "predicted", "probability"]
    assert table["data"], "the fixture's model makes no test error: nothing to check"
    from datasets import load_from_disk

    test = load_from_disk(str(trained["root"] / "data" / "claims"))["test"]
    sentences = dict(zip(test["text"], test["article_id"], strict=True))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        model = load_model(f"runs:/{result.run_id}/model").model
    texts = [row[1] for row in table["data"]]
    probabilities = model.predict_proba(np.array(texts, dtype=str))
    classes = list(model.classes_)
    for (article, text, expected, predicted, probability), row in zip(
        table["data"], probabilities, strict=True
    ):
        assert sentences[text] == article  # the whole sentence, as in the dataset
        assert expected != predicted
        assert probability == pytest.approx(row[classes.index(predicted)], abs=1e-4)
    page = mlflow.artifacts.download_artifacts(
        run_id=result.run_id,
        artifact_path="misclassified_test.html",
        dst_path=str(tmp_path),
        tracking_uri=uri,
    )
    from html import escape

    assert all(escape(text) in Path(page).read_text() for text in texts)


def test_entity_errors_carry_each_predicted_span_marginal():
    from toolkit.models.tagger import EntityTagger
    from toolkit.tasks import task_spec
    from toolkit.tracking.log import misclassified_rows

    tokens = [["Globex", "buys", "Initech", "today"], ["Initech", "sells", "Globex"]]
    tags = [["B-ORG", "O", "B-ORG", "B-DATE"], ["B-ORG", "O", "B-ORG"]]
    model = EntityTagger(feature_set="basic", n_features=2**12, max_iter=3, random_state=0).fit(tokens, tags)
    rows = [{"article_id": "a", "text": "Globex buys Initech today", "tokens": tokens[0]}]
    truth, wrong_guess = [["B-ORG", "O", "O", "O"]], [model.predict([tokens[0]])[0]]
    (row,) = misclassified_rows(task_spec("entities"), rows, truth, wrong_guess, model)
    marginals = model.predict_scores([tokens[0]])[0]
    spans = re.findall(r"\((\d\.\d\d)\)", row["predicted"])
    assert len(spans) == len([tag for tag in wrong_guess[0] if tag.startswith("B-")]) >= 2
    assert row["text"] == "Globex buys Initech today" and row["expected"] == "ORG: Globex"
    assert row["probability"] == pytest.approx(
        min(marginals[i] for i, t in enumerate(wrong_guess[0]) if t != "O"), abs=1e-4
    )
    (plain,) = misclassified_rows(task_spec("entities"), rows, truth, wrong_guess)
    assert plain["probability"] is None and "(" not in plain["predicted"]


def test_the_tracking_uri_comes_from_dot_env_when_the_environment_has_none(tmp_path, monkeypatch):
    from toolkit.tracking.store import resolve_tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    (tmp_path / ".env").write_text("MLFLOW_TRACKING_URI=http://127.0.0.1:15056\n")
    assert resolve_tracking_uri() == "http://127.0.0.1:15056"  # what `make stack` writes
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert resolve_tracking_uri() == "sqlite:///elsewhere.db"  # the environment wins
    assert resolve_tracking_uri("http://explicit") == "http://explicit"


def test_claim_runs_log_a_reliability_diagram_whose_ece_is_the_logged_metric(trained, tmp_path):
    from mlflow import MlflowClient

    result = trained["results"][1]
    client = MlflowClient(trained["uri"])
    names = {artifact.path for artifact in client.list_artifacts(result.run_id)}
    assert {"reliability_validation.png", "reliability_test.png"} <= names
    picture = Path(
        client.download_artifacts(result.run_id, "reliability_test.png", str(tmp_path))
    ).read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    metrics = client.get_run(result.run_id).data.metrics
    assert 0.0 <= metrics["test.ece"] <= 1.0 and "validation.ece" in metrics


def test_the_reliability_figure_titles_its_ece():
    from toolkit.tracking.log import reliability_figure

    figure = reliability_figure(["a", "b"], [[0.9, 0.1], [0.2, 0.8]], ["a", "b"], "test", "claims · x")
    title = figure.axes[0].get_title()
    assert "claims · x" in title and "test split: ECE 0.150" in title  # |0.9-1| and |0.8-1|, weighted


def test_select_promotes_the_best_validation_run_on_the_newest_data(trained, tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'select.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    data = trained["root"] / "data"
    results = [train(path, data, seed=7) for path in trained["files"]]
    scores = [result.metrics["validation.macro_f1"] for result in results]
    best = results[scores.index(max(scores))] if scores[0] != scores[1] else results[1]
    chosen = invoke("runs", "select", "--task", "claims", "--alias", "picked", uri=uri)
    assert chosen.exit_code == 0, chosen.output
    assert f"({best.run_id}): validation.macro_f1 {max(scores):.3f}, best of 2 runs" in chosen.output
    version = MlflowClient(uri).get_model_version_by_alias("toolkit-claims", "picked")
    assert version.run_id == best.run_id

    # A run on other data is newer: only runs on its dataset version compete, however they scored.
    other = tmp_path / "other-data"
    export = next((trained["root"] / "annotations").rglob("*.json"))
    build_dataset([export], other, validation_fraction=0.3, test_fraction=0.2)
    newest = train(trained["files"][0], other, seed=7)
    again = invoke("runs", "select", "--task", "claims", "--alias", "picked", uri=uri)
    assert f"({newest.run_id})" in again.output and "best of 1 run on dataset" in again.output

    refused = invoke("runs", "select", "--task", "claims", "--metric", "test.macro_f1", uri=uri)
    assert refused.exit_code == 1 and "test scores judge, never choose" in refused.output
    missing = invoke("runs", "select", "--task", "entities", uri=uri)
    assert missing.exit_code == 1 and "no entities runs yet" in missing.output
