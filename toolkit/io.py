"""Reading user files with one-line errors, and writing files atomically (never half-written)."""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where

__all__ = [
    "read_text",
    "read_jsonl",
    "read_json",
    "parse_toml",
    "write_text_atomic",
    "write_jsonl_atomic",
    "write_json_atomic",
]


def read_text(path: str | Path) -> str:
    """A UTF-8 text file's content; a missing, unreadable or non-UTF-8 file is a ToolkitError naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ToolkitError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ToolkitError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ToolkitError(
            f"{where(path, line)}: not valid UTF-8 (byte {exc.start}); re-encode the file as UTF-8"
        ) from None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a malformed line is a ToolkitError naming file and line."""
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToolkitError(
                f"{where(path, number)}: malformed JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(record, dict):
            raise ToolkitError(f"{where(path, number)}: expected a JSON object, got {type(record).__name__}")
        yield number, record


def read_json(path: str | Path) -> Any:
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolkitError(
            f"{where(path, exc.lineno)}: malformed JSON ({exc.msg} at column {exc.colno})"
        ) from None


def parse_toml(text: str, origin: str | Path) -> dict[str, Any]:
    """A TOML document's tables; a syntax error is a ToolkitError naming `origin` (file or resource)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ToolkitError(f"{origin}: not valid TOML ({exc})") from None


def write_text_atomic(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it into place: readers never see half a file.

    With overwrite=False an existing file is never replaced (the rename uses a hard link, which fails if the
    name exists), which is what append-only snapshots need.
    """
    path = Path(path)
    if path.is_dir():
        raise ToolkitError(f"{path}: is a directory, expected a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise ToolkitError(f"{path}: already exists; refusing to overwrite it") from None
            os.unlink(temporary)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def write_jsonl_atomic(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    return write_text_atomic(
        path, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    )


def write_json_atomic(path: str | Path, value: Any, *, overwrite: bool = True) -> Path:
    return write_text_atomic(
        path, json.dumps(value, ensure_ascii=False, indent=2) + "\n", overwrite=overwrite
    )


def read_env_file(path: str | Path) -> dict[str, str]:
    """The settings a `.env` file holds (python-dotenv's reading, empty values left out); {} without the file."""
    from dotenv import dotenv_values

    path = Path(path)
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value}
