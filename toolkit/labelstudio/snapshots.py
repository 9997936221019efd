"""Snapshots of a project's annotations: `annotations/exports/<project>/<UTC time>.json`, newest last."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["SNAPSHOT_FORMAT", "latest_snapshot"]

# Snapshots written by `toolkit pull` are named by their UTC time, so the newest sorts last.
SNAPSHOT_FORMAT = "%Y-%m-%dT%H%M%SZ.json"


_SNAPSHOT_NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z\.json")


def latest_snapshot(folder: Path) -> Path | None:
    """The newest snapshot in a project's folder, or None; other JSON files there (a UI export) are not snapshots."""
    if not folder.is_dir():
        return None
    snapshots = [path for path in folder.iterdir() if _SNAPSHOT_NAME.fullmatch(path.name)]
    return max(snapshots) if snapshots else None
