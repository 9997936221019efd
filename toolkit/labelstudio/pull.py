"""`toolkit pull`: a project's full JSON export, saved as a new append-only snapshot and checked span by span.

Snapshots live in annotations/exports/<project slug>/<UTC time>.json; names sort by time, the newest is the
one `toolkit dataset build` reads. A snapshot is written atomically and never replaces another; when the
export holds the same content as the newest snapshot nothing is written. The export comes from an export
snapshot on the server, the one kind that gives full prediction objects (the synchronous export gives ids).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, connect
from toolkit.labelstudio.exports import ExportReport, parse_export
from toolkit.labelstudio.snapshots import SNAPSHOT_FORMAT, latest_snapshot
from toolkit.project import EXPORTS
from toolkit.schema import DEFAULT_SCHEMA, load_schema

__all__ = ["PullResult", "DEFAULT_EXPORTS", "slugify", "latest_snapshot", "fetch_export", "pull"]

DEFAULT_EXPORTS = EXPORTS
# Fields that change on every export although the annotations did not ("created_ago": "3 minutes").
VOLATILE = frozenset({"created_ago"})


@dataclass
class PullResult:
    project: str
    slug: str
    path: Path | None
    latest: Path | None
    report: ExportReport
    seconds: float

    @property
    def written(self) -> bool:
        return self.path is not None


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "project"


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items()) if key not in VOLATILE}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _same_content(tasks: list[dict[str, Any]], path: Path) -> bool:
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return _canonical(previous) == _canonical(tasks)


def fetch_export(client: Client, project_id: int, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Every task with at least one annotation (cancelled ones too), all annotators, full prediction objects."""
    exports = client.sdk.projects.exports
    snapshot = client.call(
        "creating an export snapshot",
        exports.create,
        project_id,
        title="toolkit pull",
        serialization_options={"predictions": {"only_id": False}},
        task_filter_options={"only_with_annotations": True},
    )
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
    raw = client.call(
        "downloading the export snapshot",
        lambda: b"".join(exports.download(project_id, snapshot.id, export_type="JSON")),
    )
    # The snapshot served its purpose; the copy that counts is ours. A failure here loses nothing.
    with contextlib.suppress(Exception):
        exports.delete(project_id, snapshot.id)
    try:
        tasks = json.loads(raw)
    except ValueError:
        raise ToolkitError(
            f"the export of project {project_id} is not valid JSON ({len(raw)} bytes)"
        ) from None
    if not isinstance(tasks, list):
        raise ToolkitError(f"the export of project {project_id} is not a list of tasks")
    return sorted(tasks, key=lambda task: task.get("id", 0))


def pull(
    project: str | None = None,
    *,
    file: Path | None = None,
    exports_dir: Path = DEFAULT_EXPORTS,
    schema_path: Path = DEFAULT_SCHEMA,
    client: Client | None = None,
) -> PullResult:
    """Fetch `project`'s export (or read `file`, an export downloaded from the UI) and save it as a snapshot.

    Every span is checked on the way in (exports.parse_export, not strict: bad spans, unknown labels, cancelled
    and empty annotations are counted, UTF-16 drift repaired) and the counts are returned. The snapshot keeps
    the export as Label Studio gave it: every annotator's work, nothing dropped.
    """
    from toolkit.io import read_json, write_json_atomic

    began = time.monotonic()
    if project is None and file is None:
        raise ToolkitError(
            "give --project NAME (fetch from Label Studio) or --file EXPORT.json (a downloaded export)"
        )
    schema = load_schema(schema_path)
    if file is not None:
        tasks = read_json(file)
        if not isinstance(tasks, list):
            raise ToolkitError(f"{file}: not a Label Studio JSON export (expected a list of tasks)")
        name = project or _project_name(tasks, file)
        source = str(file)
    else:
        client = client or connect()
        found = client.project(project)
        tasks = fetch_export(client, found.id)
        name, source = project, f"project {project!r}"
    report = parse_export(tasks, schema, source, strict=False).report
    slug = slugify(name)
    folder = exports_dir / slug
    latest = latest_snapshot(folder)
    if not tasks:
        # Nothing annotated yet: an empty snapshot would only become the "latest" that dataset build reads.
        return PullResult(name, slug, None, latest, report, time.monotonic() - began)
    if latest is not None and _same_content(tasks, latest):
        return PullResult(name, slug, None, latest, report, time.monotonic() - began)
    path = _write_snapshot(folder, tasks, write_json_atomic)
    return PullResult(name, slug, path, latest, report, time.monotonic() - began)


def _project_name(tasks: list[Any], file: Path) -> str:
    ids = {
        task.get("project") for task in tasks if isinstance(task, dict) and task.get("project") is not None
    }
    return f"project-{ids.pop()}" if len(ids) == 1 else file.stem


def _write_snapshot(folder: Path, tasks: list[dict[str, Any]], write: Any) -> Path:
    """Write under a new UTC-time name; never replace a file (two pulls in one second: wait for the next)."""
    for _ in range(3):
        path = folder / datetime.now(UTC).strftime(SNAPSHOT_FORMAT)
        if not path.exists():
            try:
                return write(path, tasks, overwrite=False)
            except ToolkitError:
                pass  # another pull took this name between the check and the link
        time.sleep(1.0 - datetime.now(UTC).microsecond / 1e6 + 0.01)
    raise ToolkitError(f"{folder}: could not find a free snapshot name; try again")
