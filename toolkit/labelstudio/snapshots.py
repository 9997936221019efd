"""Snapshots of a project's annotations, `annotations/exports/<folder>/<UTC time>.json`, and which folder is whose.

A pulled project's folder is named `<slug>-p<id>`: the title's slug (accents dropped, cut to 48 characters;
`project-<hash>` when nothing ASCII is left) and the Label Studio project id, so two projects never share a
folder, whatever their titles' script, case or length. The folder's `.project.json` records the project id and
title: later pulls find the folder by id (a renamed project keeps its folder), a folder that belongs to another
project is refused, and `toolkit dataset build` refuses a folder whose newest snapshot is of another project.
A folder from before ids were in the name (`news-claims/`) is kept when all its snapshots are of that project.
A snapshot without project ids (an export pulled with `--file` from elsewhere) goes to `<slug>/`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

__all__ = [
    "SNAPSHOT_FORMAT",
    "MARKER",
    "latest_snapshot",
    "slugify",
    "folder_name",
    "read_marker",
    "resolve_folder",
    "claim_folder",
    "snapshot_projects",
    "check_snapshot_folder",
    "clean_temporary",
]

# Snapshots written by `toolkit pull` are named by their UTC time, so the newest sorts last.
SNAPSHOT_FORMAT = "%Y-%m-%dT%H%M%SZ.json"
MARKER = ".project.json"
SLUG_LENGTH = 48

_SNAPSHOT_NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z\.json")
# What io.write_text_atomic leaves behind when its process is killed mid-write: `.<name>.<random>.tmp`.
_TEMPORARY = re.compile(r"\..+\.json\.[A-Za-z0-9_]+\.tmp")


def latest_snapshot(folder: Path) -> Path | None:
    """The newest snapshot in a project's folder, or None; other JSON files there (a UI export) are not snapshots."""
    if not folder.is_dir():
        return None
    return max(_snapshots(folder), default=None)


def _snapshots(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if _SNAPSHOT_NAME.fullmatch(path.name))


def slugify(name: str, limit: int = SLUG_LENGTH) -> str:
    """Lower-case ASCII letters, digits and hyphens, accents dropped, at most `limit` characters; may be ''."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:limit].rstrip("-")


def _legacy_slug(name: str) -> str:
    """The folder name `toolkit pull` gave a project before folder names carried its id (it failed on a name
    too long for the file system, so no folder of such a name exists: '' then)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"
    return slug if len(slug) <= 200 else ""


def folder_name(title: str, project_id: int | None) -> str:
    base = slugify(title) or "project-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    return f"{base}-p{project_id}" if project_id is not None else base


def read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise ToolkitError(f"{folder / MARKER}: unreadable; it should name the folder's project") from None
    if not isinstance(marker, dict) or "project_id" not in marker:
        raise ToolkitError(f"{folder / MARKER}: expected {{'project_id': ..., 'title': ...}}")
    return marker


def _owns(marker: dict[str, Any], title: str, project_id: int | None) -> bool:
    if project_id is not None:
        return marker.get("project_id") == project_id
    return marker.get("project_id") is None and marker.get("title") == title


def _whose(marker: dict[str, Any]) -> str:
    pid = marker.get("project_id")
    return f"project {pid} ({marker.get('title')!r})" if pid is not None else f"{marker.get('title')!r}"


def snapshot_projects(path: Path) -> set[int]:
    """The Label Studio project ids a snapshot's tasks carry (empty when it has none or cannot be read)."""
    try:
        tasks = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return set()
    if not isinstance(tasks, list):
        return set()
    return {
        task["project"] for task in tasks if isinstance(task, dict) and isinstance(task.get("project"), int)
    }


def _folder_projects(folder: Path) -> set[int]:
    return set().union(*(snapshot_projects(path) for path in _snapshots(folder)))


def resolve_folder(exports_dir: Path, title: str, project_id: int | None) -> Path:
    """The folder that holds (or will hold) this project's snapshots; ToolkitError when it would mix projects."""
    owned = []
    if exports_dir.is_dir():
        for folder in sorted(exports_dir.iterdir()):
            marker = read_marker(folder) if folder.is_dir() else None
            if marker is not None and _owns(marker, title, project_id):
                owned.append(folder)
    if len(owned) > 1:
        raise ToolkitError(
            f"{len(owned)} folders claim {_whose(read_marker(owned[0]))}: {', '.join(map(str, owned))}; "
            f"keep one (each folder's {MARKER} names its project)"
        )
    if owned:
        return owned[0]
    legacy = exports_dir / _legacy_slug(title)
    if (
        project_id is not None
        and legacy != exports_dir
        and legacy.is_dir()
        and read_marker(legacy) is None
        and _snapshots(legacy)
        and _folder_projects(legacy) == {project_id}
    ):
        return legacy
    folder = exports_dir / folder_name(title, project_id)
    marker = read_marker(folder) if folder.is_dir() else None
    if marker is not None and not _owns(marker, title, project_id):
        raise ToolkitError(
            f"{folder} holds the snapshots of {_whose(marker)}, not of "
            f"{_whose({'project_id': project_id, 'title': title})}; refusing to mix them"
        )
    others = (_folder_projects(folder) - {project_id}) if folder.is_dir() else set()
    if others:
        ids = ", ".join(map(str, sorted(others)))
        raise ToolkitError(
            f"{folder} holds snapshots of Label Studio project {ids}; refusing to add project {project_id} to it"
        )
    return folder


def claim_folder(folder: Path, title: str, project_id: int | None, url: str | None) -> None:
    """Record in `folder` whose snapshots it holds (once: a later title or URL does not change the owner)."""
    from toolkit.io import write_json_atomic

    if read_marker(folder) is None:
        marker = {"project_id": project_id, "title": title, "url": url}
        write_json_atomic(folder / MARKER, marker, overwrite=False)


def check_snapshot_folder(folder: Path, latest: Path) -> None:
    """Refuse a folder whose newest snapshot, `latest`, would hide another project's annotations.

    With a `.project.json`, the newest snapshot must be of the project it names. Without one (a folder written
    before folder names carried the project id, or filled by hand), all its snapshots must be of one project:
    otherwise only the newest one's project would be read and the others would silently drop out.
    """
    marker = read_marker(folder)
    if marker is not None:
        expected = marker.get("project_id")
        others = snapshot_projects(latest) - {expected}
        if expected is not None and others:
            ids = ", ".join(map(str, sorted(others)))
            raise ToolkitError(
                f"{latest}: tasks of Label Studio project {ids}, but {folder} holds {_whose(marker)} "
                f"({MARKER}); move the snapshot into its project's folder"
            )
        return
    projects = _folder_projects(folder)
    if len(projects) > 1:
        ids = ", ".join(map(str, sorted(projects)))
        raise ToolkitError(
            f"{folder}: snapshots of Label Studio projects {ids} in one folder, and only the newest "
            f"({latest.name}) would be read; move each project's snapshots into a folder of its own "
            "(`toolkit pull` now names them <title>-p<id>)"
        )


def clean_temporary(folder: Path) -> int:
    """Remove the half-written temporary files a killed run left; call it only while holding the folder's lock."""
    removed = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if _TEMPORARY.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed
