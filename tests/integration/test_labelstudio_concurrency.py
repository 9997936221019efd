"""Against a real Label Studio: exports and pulls run at once, a pull killed half-way, titles that would collide.

Each concurrent case runs the `toolkit` command in two separate processes, as two users' shells would.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ls_helpers import ROOT, LiveServer, ingest_articles, project_tasks
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import latest_snapshots

pytestmark = pytest.mark.integration

TOOLKIT = [sys.executable, "-c", "from toolkit.cli import main; main()"]


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def at_once(*commands: list[object], toolkit: list[str] = TOOLKIT) -> list[subprocess.CompletedProcess]:
    """Start every command before waiting for any; their outputs in order."""
    processes = [
        subprocess.Popen(
            [*toolkit, *map(str, command)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command in commands
    ]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=180), p.stdout.read()) for p in processes]


def create_project(server: LiveServer, title: str, annotated: int = 0) -> int:
    """A project from the schema, with `annotated` tasks that already carry an annotation."""
    created = run("labelstudio", "init", "--project", title)
    assert created.exit_code == 0, created.output
    sdk = server.sdk()
    project_id = next(p.id for p in sdk.projects.list(title=title) if p.title == title)
    text = "Zoé Durand a parlé jeudi."
    region = {"start": 0, "end": 10, "text": "Zoé Durand", "labels": ["PER"]}
    result = [{"from_name": "entities", "to_name": "text", "type": "labels", "value": region}]
    tasks = [
        {"data": {"text": text, "article_id": f"a{i}", "lang": "fr"}, "annotations": [{"result": result}]}
        for i in range(annotated)
    ]
    if tasks:
        sdk.projects.import_tasks(id=project_id, request=tasks)
    return project_id


def server_exports(server: LiveServer, project_id: int) -> list:
    return list(server.sdk().projects.exports.list(project_id))


def test_two_exports_at_once_create_each_task_once(ls_env: LiveServer, tmp_path: Path) -> None:
    articles = ingest_articles(tmp_path, 40)
    project_id = create_project(ls_env, "two exports")
    outputs = at_once(*[["export", articles, "--project", "two exports", "--rules"]] * 2)
    assert all(result.returncode == 0 for result in outputs), [result.stdout for result in outputs]
    found = [
        (task.data["article_id"], task.data["content_hash"]) for task in project_tasks(ls_env, project_id)
    ]
    assert len(found) == 40 == len(set(found))
    summaries = sorted(result.stdout for result in outputs)
    assert "0 new tasks, 40 already there" in summaries[0] and "40 new tasks, 0 already there" in summaries[1]
    assert not (ROOT / "annotations" / "exports" / f"two-exports-p{project_id}").exists()


# `toolkit` with a pause between looking for the newest snapshot and writing a new one: without the lock, two
# pulls started together both find none and both write (measured: two identical snapshots, every time).
SLOW_TOOLKIT = """
import time
import toolkit.labelstudio.pull as pulling
from toolkit.cli import main

latest = pulling.latest_snapshot

def slow_latest(folder):
    found = latest(folder)
    time.sleep(1.5)
    return found

pulling.latest_snapshot = slow_latest
main()
"""


def test_two_pulls_at_once_write_one_snapshot(ls_env: LiveServer, tmp_path: Path) -> None:
    project_id = create_project(ls_env, "two pulls", annotated=5)
    exports = tmp_path / "exports"
    command = ["pull", "--project", "two pulls", "--exports-dir", exports]
    outputs = at_once(command, command, toolkit=[sys.executable, "-c", SLOW_TOOLKIT])
    assert all(result.returncode == 0 for result in outputs), [result.stdout for result in outputs]
    folder = exports / f"two-pulls-p{project_id}"
    (snapshot,) = folder.glob("2*.json")
    summaries = sorted(result.stdout for result in outputs)
    assert f"unchanged since {snapshot}, nothing written" in summaries[1]
    assert f"into {snapshot}: 5 tasks, 5 annotations kept" in summaries[0]
    assert sorted(path.name for path in folder.iterdir()) == [".project.json", snapshot.name]
    assert server_exports(ls_env, project_id) == []


KILLED_AFTER_CREATE = """
import sys, time
from pathlib import Path
from label_studio_sdk.projects.exports.client import ExportsClient
from toolkit.labelstudio.pull import pull

create = ExportsClient.create

def create_then_hang(self, *args, **kwargs):
    made = create(self, *args, **kwargs)
    print("created", made.id, flush=True)
    time.sleep(300)

ExportsClient.create = create_then_hang
pull(sys.argv[1], exports_dir=Path(sys.argv[2]))
"""


def test_a_pull_killed_after_the_export_was_made_leaves_nothing_behind(
    ls_env: LiveServer, tmp_path: Path
) -> None:
    project_id = create_project(ls_env, "killed pull", annotated=3)
    exports = tmp_path / "exports"
    folder = exports / f"killed-pull-p{project_id}"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_AFTER_CREATE, "killed pull", str(exports)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().split()
        assert line[:1] == ["created"], line
        assert [export.id for export in server_exports(ls_env, project_id)] == [int(line[1])]
        assert (folder / ".lock").exists()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    (folder / ".2026-11-30T120000Z.json.abcd1234.tmp").write_bytes(b"")  # what a kill mid-write leaves
    began = time.monotonic()
    pulled = run("pull", "--project", "killed pull", "--exports-dir", exports)
    assert pulled.exit_code == 0 and "3 tasks, 3 annotations kept" in pulled.output, pulled.output
    assert time.monotonic() - began < 20  # the dead run's lock was taken over, not waited for
    assert server_exports(ls_env, project_id) == []
    assert [path.name.startswith(".") for path in sorted(folder.iterdir())] == [
        True,
        False,
    ]  # marker, snapshot


def test_a_pull_interrupted_while_downloading_deletes_its_export(
    ls_env: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from label_studio_sdk.projects.exports.client import ExportsClient

    from toolkit.labelstudio.pull import pull

    project_id = create_project(ls_env, "interrupted pull", annotated=2)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExportsClient, "download", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pull("interrupted pull", exports_dir=tmp_path / "exports")
    assert server_exports(ls_env, project_id) == []
    assert not (tmp_path / "exports").exists() or not any((tmp_path / "exports").rglob("*"))


def test_titles_that_slugify_alike_get_a_folder_each_and_all_reach_the_dataset(
    ls_env: LiveServer, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    titles = ["Новости", "Известия", "新闻报道", "Claims", "claims"]
    ids = [create_project(ls_env, title, annotated=1) for title in titles]
    for title in titles:
        pulled = run("pull", "--project", title, "--exports-dir", exports)
        assert pulled.exit_code == 0 and "into" in pulled.output, pulled.output
    folders = sorted(path.parent.name for path in latest_snapshots(exports))
    assert len(folders) == 5 and f"claims-p{ids[3]}" in folders and f"claims-p{ids[4]}" in folders
    assert all(name.startswith("project-") for name in folders if not name.startswith("claims"))
    # An export downloaded from the UI, filed under a 300-character name, lands beside them.
    ui_export = next((exports / f"claims-p{ids[3]}").glob("2*.json"))
    long = run("pull", "--file", ui_export, "--project", "É" * 300, "--exports-dir", exports)
    assert long.exit_code == 0 and "unchanged since" in long.output, long.output  # found by project id
