"""The one exception type a user's mistake raises: the CLI prints its message on one line and exits 1."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ToolkitError", "where"]


class ToolkitError(Exception):
    """A problem the user can fix (bad input, missing file, server down). Its message is one line."""


def where(path: str | Path, line: int | None = None, task: int | str | None = None) -> str:
    """Name a place in the user's input the way every error message does: `file.jsonl:12` or `file.json task 7`."""
    place = str(path)
    if line is not None:
        place += f":{line}"
    if task is not None:
        place += f" task {task}"
    return place
