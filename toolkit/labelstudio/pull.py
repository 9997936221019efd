"""`toolkit pull`: a project's full JSON export, saved as a new append-only snapshot and checked span by span.

Snapshots live in annotations/exports/<folder>/<UTC time>.json, the folder named `<title slug>-p<project id>`
(see snapshots.py); names sort by time, the newest is the one `toolkit dataset build` reads. A snapshot is
written atomically and never replaces another; when the export holds the same content as the newest snapshot
nothing is written. One pull or export of a project runs at a time (locks.py): a second one waits, then
compares with what the first wrote. The export comes from an export snapshot on the server, the one kind that
gives full prediction objects (the synchronous export gives ids); it is deleted once downloaded or when the
pull fails, and the next pull deletes those a killed pull left.

When the project has a review project (`<NAME> · review`, adjudicate.py), the adjudications a lead submitted there
are added to their tasks in the snapshot, marked ground truth, so that `dataset build` prefers them over the
annotators' annotations; so are the lead's decisions on suspect sentences (suspects.py), written into the
article's chosen annotation. The pull counts both.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, connect
from toolkit.labelstudio.exports import ExportReport, parse_export
from toolkit.labelstudio.locks import DEFAULT_WAIT, pid_alive, project_lock
from toolkit.labelstudio.snapshots import (
    SNAPSHOT_FORMAT,
    claim_folder,
    clean_temporary,
    latest_snapshot,
    resolve_folder,
    slugify,
)
from toolkit.project import EXPORTS
from toolkit.schema import DEFAULT_SCHEMA, load_schema

__all__ = [
    "PullResult",
    "DEFAULT_EXPORTS",
    "slugify",
    "latest_snapshot",
    "fetch_export",
    "content_digest",
    "delete_leftover_exports",
    "pull",
]

DEFAULT_EXPORTS = EXPORTS
# Fields that change on every export although the annotations did not ("created_ago": "3 minutes").
VOLATILE = frozenset({"created_ago"})
# Export snapshots this toolkit creates are titled "toolkit pull <host> pid <pid>", so that a later pull can tell
# one a killed run left (its process is gone) from one a run elsewhere is still building.
EXPORT_TITLE = re.compile(r"toolkit pull (\S+) pid (\d+)")
FOREIGN_EXPORT_AGE = timedelta(days=1)


@dataclass
class PullResult:
    project: str
    folder: Path
    path: Path | None
    latest: Path | None
    report: ExportReport
    seconds: float
    temporary_removed: int = 0
    exports_deleted: int = 0
    adjudicated: int = 0  # adjudications from the review project added to their tasks, marked ground truth
    reviewed: int = 0  # decisions on suspect sentences from the review project written into their articles

    @property
    def written(self) -> bool:
        return self.path is not None


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items()) if key not in VOLATILE}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def content_digest(tasks: list[dict[str, Any]]) -> str:
    """sha256 of an export's content, the fields that change on every export left out: two exports of
    unchanged annotations have the same digest."""
    import hashlib

    canonical = json.dumps(_canonical(tasks), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _same_content(tasks: list[dict[str, Any]], path: Path) -> bool:
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return _canonical(previous) == _canonical(tasks)


def fetch_export(client: Client, project_id: int, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Every task with at least one annotation (cancelled ones too), all annotators, full prediction objects.

    The export snapshot this creates on the server is deleted before returning, also when anything fails
    (including Ctrl-C); one left by a killed process is deleted by the next pull (`delete_leftover_exports`).
    """
    exports = client.sdk.projects.exports
    snapshot = client.call(
        "creating an export snapshot",
        exports.create,
        project_id,
        title=f"toolkit pull {socket.gethostname()} pid {os.getpid()}",
        serialization_options={"predictions": {"only_id": False}},
        task_filter_options={"only_with_annotations": True},
    )
    try:
        raw = _download(client, project_id, snapshot, timeout)
    finally:
        # The snapshot served its purpose; the copy that counts is ours. If this fails, the next pull retries it.
        with contextlib.suppress(ToolkitError):
            client.call("deleting the export snapshot", exports.delete, project_id, snapshot.id)
    try:
        tasks = json.loads(raw)
    except ValueError:
        raise ToolkitError(
            f"the export of project {project_id} is not valid JSON ({len(raw)} bytes)"
        ) from None
    if not isinstance(tasks, list):
        raise ToolkitError(f"the export of project {project_id} is not a list of tasks")
    return sorted(tasks, key=lambda task: task.get("id", 0))


def _download(client: Client, project_id: int, snapshot: Any, timeout: float) -> bytes:
    exports = client.sdk.projects.exports
    deadline = time.monotonic() + timeout
    status = snapshot.status
    while status != "completed":
        if status == "failed":
            raise ToolkitError(
                f"Label Studio failed to build export snapshot {snapshot.id} of project {project_id}"
            )
        if time.monotonic() > deadline:
            raise ToolkitError(f"export snapshot {snapshot.id} not ready after {timeout:.0f} s")
        time.sleep(0.3)
        status = client.call("waiting for the export snapshot", exports.get, project_id, snapshot.id).status
    return client.call(
        "downloading the export snapshot",
        lambda: b"".join(exports.download(project_id, snapshot.id, export_type="JSON")),
    )


def delete_leftover_exports(client: Client, project_id: int) -> int:
    """Delete the export snapshots earlier pulls left on the server: those of a process on this host that has
    ended, and those from other hosts older than a day. Run it while holding the project's lock."""
    exports = client.sdk.projects.exports
    host, now = socket.gethostname(), datetime.now(UTC)
    deleted = 0
    for export in client.call("listing export snapshots", exports.list, project_id):
        match = EXPORT_TITLE.fullmatch(export.title or "")
        if export.title == "toolkit pull":  # titled so by earlier versions, which ran no lock
            stale = True
        elif match is None:
            stale = False  # someone else's export (the UI's, a script's)
        elif match[1] == host:
            stale = not pid_alive(int(match[2]))
        else:
            created = export.created_at
            stale = created is not None and now - created.astimezone(UTC) > FOREIGN_EXPORT_AGE
        if stale:
            client.call("deleting a leftover export snapshot", exports.delete, project_id, export.id)
            deleted += 1
    return deleted


def pull(
    project: str | None = None,
    *,
    file: Path | None = None,
    exports_dir: Path = DEFAULT_EXPORTS,
    schema_path: Path = DEFAULT_SCHEMA,
    client: Client | None = None,
    lock_wait: float = DEFAULT_WAIT,
) -> PullResult:
    """Fetch `project`'s export (or read `file`, an export downloaded from the UI) and save it as a snapshot.

    Every span is checked on the way in (exports.parse_export, not strict: bad spans, unknown labels, cancelled
    and empty annotations are counted, UTF-16 drift repaired) and the counts are returned. The snapshot keeps
    the export as Label Studio gave it: every annotator's work, nothing dropped. The project's folder is locked
    from before the export is made until the snapshot is written (a second pull waits up to `lock_wait` s).
    """
    from toolkit.io import read_json

    began = time.monotonic()
    if project is None and file is None:
        raise ToolkitError(
            "give --project NAME (fetch from Label Studio) or --file EXPORT.json (a downloaded export)"
        )
    schema = load_schema(schema_path)
    tasks: list[dict[str, Any]] = []
    url = None
    if file is not None:
        tasks = read_json(file)
        if not isinstance(tasks, list):
            raise ToolkitError(f"{file}: not a Label Studio JSON export (expected a list of tasks)")
        project_id = _project_id(tasks)
        name = project or (f"project-{project_id}" if project_id is not None else file.stem)
        source = str(file)
    else:
        client = client or connect()
        project_id, url = client.project(project).id, client.url
        name, source = project, f"project {project!r}"
    folder = resolve_folder(exports_dir, name, project_id)
    with project_lock(folder, "pull", wait=lock_wait):
        result = PullResult(name, folder, None, None, ExportReport(), 0.0)
        result.temporary_removed = clean_temporary(folder)
        if file is None:
            result.exports_deleted = delete_leftover_exports(client, project_id)
            tasks = fetch_export(client, project_id)
            result.adjudicated, result.reviewed = _review_decisions(client, project, project_id, tasks)
        result.report = parse_export(tasks, schema, source, strict=False).report
        result.latest = latest_snapshot(folder)
        # Nothing annotated yet: an empty snapshot would only become the "latest" that dataset build reads.
        if tasks and not (result.latest is not None and _same_content(tasks, result.latest)):
            claim_folder(folder, name, project_id, url)
            result.path = _write_snapshot(folder, tasks)
    result.seconds = time.monotonic() - began
    return result


def _review_decisions(
    client: Client, project: str, project_id: int, tasks: list[dict[str, Any]]
) -> tuple[int, int]:
    """Add the review project's decisions to `tasks`: (adjudications, suspect decisions); (0, 0) without one.
    Adjudications go first: a decision on a suspect sentence is written into what the article's adjudication
    (when it has one) says."""
    from toolkit.labelstudio.adjudicate import merge_adjudications, review_title
    from toolkit.labelstudio.suspects import merge_suspect_decisions

    review = client.find_project(review_title(project))
    if review is None:
        return 0, 0
    delete_leftover_exports(client, review.id)
    decisions = fetch_export(client, review.id)
    adjudicated = merge_adjudications(tasks, decisions, project_id, review.id)
    return adjudicated, merge_suspect_decisions(tasks, decisions, project_id, review.id)


def _project_id(tasks: list[Any]) -> int | None:
    ids = {
        task.get("project") for task in tasks if isinstance(task, dict) and task.get("project") is not None
    }
    return ids.pop() if len(ids) == 1 and isinstance(next(iter(ids)), int) else None


def _write_snapshot(folder: Path, tasks: list[dict[str, Any]]) -> Path:
    """Write under a new UTC-time name; never replace a file (two pulls in one second: wait for the next)."""
    from toolkit.io import write_json_atomic

    for _ in range(3):
        path = folder / datetime.now(UTC).strftime(SNAPSHOT_FORMAT)
        if not path.exists():
            try:
                return write_json_atomic(path, tasks, overwrite=False)
            except ToolkitError:
                pass  # another pull took this name between the check and the link
        time.sleep(1.0 - datetime.now(UTC).microsecond / 1e6 + 0.01)
    raise ToolkitError(f"{folder}: could not find a free snapshot name; try again")
