"""What goes wrong between the toolkit and Label Studio: each case ends in one line, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from ls_helpers import LiveServer, Proxy, ingest_articles, project_tasks
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.records import PredictedSpan
from toolkit.servers.labelstudio import free_port

pytestmark = pytest.mark.integration


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def project_id(server: LiveServer, title: str) -> int:
    return next(project.id for project in server.sdk().projects.list(title=title) if project.title == title)


def keys(server: LiveServer, pid: int) -> list[tuple[str, str]]:
    return [(task.data["article_id"], task.data["content_hash"]) for task in project_tasks(server, pid)]


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingest_articles(tmp_path_factory.mktemp("articles"), 30)


def test_server_not_running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, articles: Path) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef0123")
    for command in (
        ["labelstudio", "init", "--project", "x"],
        ["export", articles, "--project", "x", "--rules"],
        ["pull", "--project", "x", "--exports-dir", tmp_path / "exports"],
    ):
        line = one_error_line(run(*command))
        assert "Label Studio is not running at http://127.0.0.1:" in line and "make label-studio" in line
    assert not (tmp_path / "exports").exists()


def test_wrong_api_key_is_refused_and_never_shown(
    ls_env: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, articles: Path
) -> None:
    wrong = "f" * 40
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", wrong)
    for command in (
        ["labelstudio", "init", "--project", "x"],
        ["export", articles, "--project", "x"],
        ["pull", "--project", "x", "--exports-dir", tmp_path / "exports"],
    ):
        line = one_error_line(run(*command))
        assert "refused the API key (401" in line and wrong not in line and ls_env.api_key not in line
    assert ls_env.api_key not in (ls_env.data_dir / "server.log").read_text(errors="replace")


def test_personal_access_token(ls_env: LiveServer, monkeypatch: pytest.MonkeyPatch, articles: Path) -> None:
    token = ls_env.sdk().tokens.create().token
    assert token.count(".") == 2  # a JWT refresh token, not a legacy token
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    created = run("labelstudio", "init", "--project", "with a PAT")
    assert created.exit_code == 0, created.output
    exported = run("export", articles, "--project", "with a PAT", "--limit", "5")
    assert exported.exit_code == 0 and "5 new tasks" in exported.output, exported.output
    assert token not in created.output + exported.output


def test_answers_lost_after_commit_are_retried_without_duplicates(
    ls_env: LiveServer, proxy: Proxy, monkeypatch: pytest.MonkeyPatch, articles: Path
) -> None:
    assert run("labelstudio", "init", "--project", "lost answers").exit_code == 0
    monkeypatch.setenv("LABEL_STUDIO_URL", proxy.url)
    monkeypatch.setenv("LABEL_STUDIO_TIMEOUT", "1")
    # Batch 1 is committed but answered 500; batch 2 is committed but answered after the client's timeout.
    proxy.faults.plan = ["after-500", "slow"]
    result = run("export", articles, "--project", "lost answers", "--rules", "--batch-size", "10")
    assert result.exit_code == 0, result.output
    assert "30 new tasks" in result.output and "2 retries" in result.output, result.output
    found = keys(ls_env, project_id(ls_env, "lost answers"))
    assert len(found) == 30 == len(set(found))


def test_server_failing_mid_export_stops_cleanly_then_rerun_finishes(
    ls_env: LiveServer, proxy: Proxy, monkeypatch: pytest.MonkeyPatch, articles: Path
) -> None:
    assert run("labelstudio", "init", "--project", "flaky").exit_code == 0
    monkeypatch.setenv("LABEL_STUDIO_URL", proxy.url)
    proxy.faults.plan = ["pass"] + ["500"] * 4
    line = one_error_line(run("export", articles, "--project", "flaky", "--rules", "--batch-size", "10"))
    assert (
        "answered 500 (importing tasks)" in line
        and "after 4 tries" in line
        and "run the same command again" in line
    )
    pid = project_id(ls_env, "flaky")
    assert len(keys(ls_env, pid)) == 10
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_env.url)
    rerun = run("export", articles, "--project", "flaky", "--rules", "--batch-size", "10")
    assert rerun.exit_code == 0 and "20 new tasks, 10 already there" in rerun.output, rerun.output
    found = keys(ls_env, pid)
    assert len(found) == 30 == len(set(found))


def test_bad_prediction_offsets_are_refused_before_sending(
    ls_env: LiveServer, monkeypatch: pytest.MonkeyPatch, articles: Path
) -> None:
    from toolkit.models import rules

    real = rules.predict_rules

    def shifted(articles, version="1", **options):
        predictions = real(articles, version, **options)
        first = predictions[4].spans[0]
        predictions[4].spans[0] = PredictedSpan(
            first.group, first.label, first.start + 1, first.end + 1, first.text, first.score
        )
        return predictions

    monkeypatch.setattr(rules, "predict_rules", shifted)
    assert run("labelstudio", "init", "--project", "bad offsets").exit_code == 0
    line = one_error_line(run("export", articles, "--project", "bad offsets", "--rules"))
    assert (
        "refused before sending, nothing was sent" in line and "art-0004" in line and "does not match" in line
    )
    assert keys(ls_env, project_id(ls_env, "bad offsets")) == []


def test_config_change_that_orphans_labels_is_refused(ls_env: LiveServer, tmp_path: Path) -> None:
    assert run("labelstudio", "init", "--project", "orphans").exit_code == 0
    sdk = ls_env.sdk()
    pid = project_id(ls_env, "orphans")
    (task_id,) = sdk.projects.import_tasks(
        id=pid, request=[{"data": {"text": "Zoé Durand a parlé."}}], return_task_ids=True
    ).task_ids
    person = {"start": 0, "end": 10, "text": "Zoé Durand", "labels": ["PER"]}
    sdk.annotations.create(
        id=task_id, result=[{"from_name": "entities", "to_name": "text", "type": "labels", "value": person}]
    )
    schema = Path("annotations/schema.toml").read_text(encoding="utf-8")
    without_per = schema.replace('[[entities.labels]]\nvalue = "PER"', '[[entities.dropped]]\nvalue = "PER"')
    assert without_per != schema
    (tmp_path / "schema.toml").write_text(without_per, encoding="utf-8")
    line = one_error_line(
        run("labelstudio", "init", "--project", "orphans", "--schema", tmp_path / "schema.toml")
    )
    assert "refused, nothing changed" in line and "PER (1 annotation)" in line
    assert 'value="PER"' in sdk.projects.get(pid).label_config
    added = schema.replace(
        '[[entities.labels]]\nvalue = "ORG"',
        '[[entities.labels]]\nvalue = "PRODUCT"\ncolor = "#000000"\n\n[[entities.labels]]\nvalue = "ORG"',
    )
    (tmp_path / "schema.toml").write_text(added, encoding="utf-8")
    updated = run("labelstudio", "init", "--project", "orphans", "--schema", tmp_path / "schema.toml")
    assert updated.exit_code == 0 and updated.output.startswith("updated project 'orphans' (config)"), (
        updated.output
    )
    assert 'value="PRODUCT"' in sdk.projects.get(pid).label_config
