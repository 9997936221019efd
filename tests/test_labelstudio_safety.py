"""Pulls and exports that run at once, runs that die half-way, and project titles that would share a folder.

Without a server: the project lock, the cleanup of what a killed run leaves, and the project → folder mapping,
with the in-memory API of fixtures/labelstudio/fake_server.py. The same cases against a real Label Studio are
in integration/test_labelstudio_concurrency.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import latest_snapshots, training_snapshots
from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, RetryPolicy, Settings
from toolkit.labelstudio.locks import lock_holder, project_lock
from toolkit.labelstudio.pull import pull
from toolkit.labelstudio.snapshots import MARKER, folder_name, slugify

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
REAL_EXPORT = FIXTURES / "real_export_1.23.2.json"
ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fake_label_studio", FIXTURES / "fake_server.py")
fake_server = importlib.util.module_from_spec(_spec)
sys.modules["fake_label_studio"] = fake_server
_spec.loader.exec_module(fake_server)
FakeLabelStudio = fake_server.FakeLabelStudio


def client_for(fake: FakeLabelStudio) -> Client:
    settings = Settings("http://ls.test", fake.api_key, timeout=5)
    return Client(settings, retry=RetryPolicy(attempts=2, backoff=0.0), httpx_client=fake.client())


def export_of(project_id: int) -> list[dict]:
    """The recorded real export, as if it came from project `project_id`."""
    tasks = json.loads(REAL_EXPORT.read_text(encoding="utf-8"))
    for task in tasks:
        task["project"] = project_id
    return tasks


def snapshots_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("2*.json"))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ---- the lock ---------------------------------------------------------------------------------------------


def test_a_second_run_waits_a_bounded_time_then_names_the_holder(tmp_path: Path) -> None:
    folder = tmp_path / "news-p1"
    with project_lock(folder, "pull"):
        began = time.monotonic()
        with pytest.raises(ToolkitError) as refused, project_lock(folder, "export", wait=0.4):
            pass
        waited = time.monotonic() - began
    message = str(refused.value)
    assert 0.4 <= waited < 2.0 and "\n" not in message
    assert f"is locked by `toolkit pull` (pid {os.getpid()} on {socket.gethostname()}, since 20" in message
    assert "waited 0.4 s" in message
    assert not folder.exists()  # released: the lock file and the folder it made are gone


def test_a_waiting_run_goes_ahead_when_the_holder_finishes(tmp_path: Path) -> None:
    folder = tmp_path / "news-p1"
    order = []
    held = threading.Event()

    def first() -> None:
        with project_lock(folder, "export"):
            held.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with project_lock(folder, "export", wait=10):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]


HOLD = """
import sys, time
from pathlib import Path
from toolkit.labelstudio.locks import project_lock
with project_lock(Path(sys.argv[1]), "pull"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_lock_left_by_a_killed_run_is_taken_over_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "news-p1"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(ToolkitError, match=f"locked by `toolkit pull` \\(pid {holder.pid} "),
            project_lock(folder, "pull", wait=0.2),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_holder(folder / ".lock")["pid"] == holder.pid  # the dead run's lock file is still there
    began = time.monotonic()
    with project_lock(folder, "pull", wait=0):
        assert lock_holder(folder / ".lock")["pid"] == os.getpid()
    assert time.monotonic() - began < 0.5


# ---- what a failed or killed pull leaves -------------------------------------------------------------------


def test_the_export_snapshot_is_deleted_after_download_and_after_a_failure(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("news")
    fake.export_payload = export_of(1)
    assert pull("news", exports_dir=tmp_path, client=client_for(fake)).written
    assert len(fake.export_requests) == 1 and fake.exports == {}
    fake.fail_download = True
    with pytest.raises(ToolkitError, match=r"answered 500 \(downloading the export snapshot\)"):
        pull("news", exports_dir=tmp_path, client=client_for(fake))
    assert len(fake.export_requests) == 2 and fake.exports == {}
    assert fake.requests.count(("DELETE", "/api/projects/1/exports/8")) == 1


def test_export_snapshots_left_by_ended_runs_are_deleted_others_kept(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("news")
    fake.export_payload = export_of(1)
    host = socket.gethostname()
    stale = [
        fake.add_export(1, f"toolkit pull {host} pid {dead_pid()}")["id"],
        fake.add_export(1, "toolkit pull")["id"],  # titled so by earlier versions
        fake.add_export(1, "toolkit pull elsewhere pid 12", created_at="2026-01-01T00:00:00Z")["id"],
    ]
    kept = [
        fake.add_export(1, f"toolkit pull {host} pid {os.getpid()}")["id"],  # a live run's
        fake.add_export(1, "toolkit pull elsewhere pid 12", created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ"))[
            "id"
        ],
        fake.add_export(1, "for the client")["id"],  # made in the UI
        fake.add_export(2, f"toolkit pull {host} pid {dead_pid()}")["id"],  # another project's
    ]
    result = pull("news", exports_dir=tmp_path, client=client_for(fake))
    assert result.exports_deleted == len(stale) == 3
    assert sorted(fake.exports) == sorted(kept)


def test_temporary_files_a_killed_pull_left_are_removed_by_the_next(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("news")
    fake.export_payload = export_of(1)
    folder = tmp_path / "news-p1"
    folder.mkdir()
    (folder / ".2026-11-30T120000Z.json.k3j_x9q2.tmp").write_bytes(b"")
    (folder / "..project.json.a1b2c3d4.tmp").write_bytes(b"{")
    (folder / "project-1-at-2026-11-30.json").write_text("[]")  # a UI export dropped there: not ours
    result = pull("news", exports_dir=tmp_path, client=client_for(fake))
    assert result.written and result.temporary_removed == 2
    names = sorted(path.name for path in folder.iterdir())
    assert names == [MARKER, result.path.name, "project-1-at-2026-11-30.json"]


# ---- one folder per project --------------------------------------------------------------------------------


def test_folder_names_are_safe_for_any_title() -> None:
    assert slugify("Écovia: résultats 2026") == "ecovia-resultats-2026"
    assert folder_name("News", 1) != folder_name("news", 2)
    cyrillic, chinese = folder_name("Новости", 3), folder_name("新闻", 4)
    assert cyrillic.startswith("project-") and cyrillic.endswith("-p3") and chinese.endswith("-p4")
    assert folder_name("Новости", 3) != folder_name("Известия", 3)  # the hash tells them apart even so
    long = folder_name("Très long titre " * 20, 12)
    assert len(long) <= 48 + 4 and long.endswith("-p12") and not long.startswith("-")


@pytest.mark.parametrize(
    "titles",
    [("Новости", "Известия"), ("新闻", "新聞"), ("News", "news"), ("A" * 300, "A" * 299 + "B")],
    ids=["cyrillic", "chinese", "case", "300-characters"],
)
def test_projects_whose_titles_collide_get_a_folder_each(tmp_path: Path, titles: tuple[str, str]) -> None:
    fake = FakeLabelStudio()
    folders = []
    for title in titles:
        project_id = fake.add_project(title)
        fake.export_payload = export_of(project_id)
        result = pull(title, exports_dir=tmp_path, client=client_for(fake))
        assert result.written and json.loads((result.folder / MARKER).read_text())["project_id"] == project_id
        folders.append(result.folder)
    assert folders[0] != folders[1]
    # Both projects reach the dataset: neither hides the other.
    assert sorted(path.parent for path in latest_snapshots(tmp_path)) == sorted(folders)


def test_a_renamed_project_keeps_its_folder(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("News claims")
    fake.export_payload = export_of(1)
    first = pull("News claims", exports_dir=tmp_path, client=client_for(fake))
    fake.projects[1]["title"] = "Claims (2027)"
    fake.export_payload[0]["annotations"][0]["lead_time"] = 99.0
    renamed = pull("Claims (2027)", exports_dir=tmp_path, client=client_for(fake))
    assert renamed.written and renamed.folder == first.folder == tmp_path / "news-claims-p1"


def test_a_folder_that_belongs_to_another_project_is_refused(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("news")
    fake.export_payload = export_of(1)
    taken = tmp_path / "news-p1"
    taken.mkdir()
    (taken / MARKER).write_text(json.dumps({"project_id": 9, "title": "news", "url": "http://other:8080"}))
    (taken / "2026-01-01T000000Z.json").write_text(json.dumps(export_of(9)))
    with pytest.raises(ToolkitError) as refused:
        pull("news", exports_dir=tmp_path, client=client_for(fake))
    assert "holds the snapshots of project 9 ('news'), not of project 1 ('news'); refusing" in str(
        refused.value
    )
    assert snapshots_in(taken) == [taken / "2026-01-01T000000Z.json"] and fake.export_requests == []


def test_a_folder_named_before_ids_is_kept_when_it_is_the_projects_own(tmp_path: Path) -> None:
    fake = FakeLabelStudio()
    fake.add_project("News Desk")
    fake.add_project("Sports Desk")
    for name, owner in (("news-desk", 1), ("sports-desk", 7)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "2026-01-01T000000Z.json").write_text(json.dumps(export_of(owner)))
    fake.export_payload = export_of(1)
    fake.export_payload[0]["annotations"][0]["lead_time"] = 99.0
    own = pull("News Desk", exports_dir=tmp_path, client=client_for(fake))
    assert own.written and own.folder == tmp_path / "news-desk" and len(snapshots_in(own.folder)) == 2
    fake.export_payload = export_of(2)
    other = pull("Sports Desk", exports_dir=tmp_path, client=client_for(fake))
    assert other.folder == tmp_path / "sports-desk-p2"  # sports-desk/ holds project 7's snapshots


def test_dataset_build_refuses_a_folder_that_mixes_projects(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    mixed = exports / "news"
    mixed.mkdir(parents=True)
    (mixed / "2026-01-01T000000Z.json").write_text(json.dumps(export_of(1)))
    (mixed / "2026-02-01T000000Z.json").write_text(json.dumps(export_of(2)))
    config = tmp_path / "training.toml"
    config.write_text('projects = ["news"]\n')
    for lookup in (lambda: latest_snapshots(exports), lambda: training_snapshots(config)):
        with pytest.raises(
            ToolkitError, match=r"snapshots of Label Studio projects 1, 2 in one folder"
        ) as error:
            lookup()
        assert "only the newest (2026-02-01T000000Z.json) would be read" in str(error.value)
    (mixed / "2026-01-01T000000Z.json").write_text(json.dumps(export_of(2)))
    (mixed / MARKER).write_text(json.dumps({"project_id": 1, "title": "news"}))
    with pytest.raises(
        ToolkitError, match=r"tasks of Label Studio project 2, but .* holds project 1 \('news'\)"
    ):
        training_snapshots(config)


def test_the_shipped_corpus_still_reads_and_the_cli_names_the_folder(tmp_path: Path) -> None:
    (snapshot,) = training_snapshots(ROOT / "annotations" / "training.toml")
    assert snapshot.parent.name == "wikinews"
    result = CliRunner().invoke(app, ["pull", "--file", str(REAL_EXPORT), "--exports-dir", str(tmp_path)])
    assert result.exit_code == 0 and f"into {tmp_path / 'project-2-p2'}/" in result.output, result.output
