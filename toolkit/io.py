"""Reading user files with one-line errors, and writing files atomically (never half-written)."""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where

__all__ = [
    "read_text",
    "read_jsonl",
    "jsonl_record",
    "read_json",
    "parse_toml",
    "MAX_DEPTH",
    "check_json",
    "check_writable",
    "write_text_atomic",
    "write_jsonl_atomic",
    "write_json_atomic",
    "read_env_file",
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


# Our files nest a handful of levels (export → task → annotation → region → value → labels); anything much
# deeper is not one of them, and code that walks it recursively would hit Python's recursion limit.
MAX_DEPTH = 100
# Surrogate code points only reach a str through a `\udXXX` escape the JSON decoder does not pair up.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def check_json(value: Any, *, strings: bool = True) -> str | None:
    """Why a decoded JSON value cannot be used, or None: nested over MAX_DEPTH, or (with `strings`) a string
    holding a lone surrogate (not Unicode: it cannot be hashed, written or sent). The problem names its place."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, dict | list):
        return None
    # Each entry: a container, its depth, and the trail (parent trail, key) that leads to it.
    stack: list[tuple[Any, int, tuple | None]] = [(value, 1, None)]
    while stack:
        item, depth, trail = stack.pop()
        if depth > MAX_DEPTH:
            return f"JSON nested more than {MAX_DEPTH} levels deep, at {_trail_text(trail)}"
        for key, child in item.items() if isinstance(item, dict) else enumerate(item):
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, (trail, key)))
            elif strings and isinstance(child, str) and (found := _SURROGATE.search(child)):
                return (
                    f"lone surrogate \\u{ord(found.group()):04x} in the string at {_trail_text((trail, key))}"
                    " (not valid Unicode; fix the escape or remove it)"
                )
    return None


def _trail_text(trail: tuple | None) -> str:
    """`[3].data.text`, cut after six steps (a deep path would not fit on one line)."""
    keys = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    keys.reverse()
    text = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in keys[:6])
    return f"`{text.lstrip('.')}{'…' if len(keys) > 6 else ''}`" if keys else "the top level"


def _loads(text: str, path: str | Path, line: int | None = None) -> Any:
    """json.loads with every failure (syntax, nesting beyond the decoder, huge numbers, `check_json`) as one
    line naming `path` and `line` (a JSONL line; for a whole file, the line of a syntax error)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        place = where(path, exc.lineno if line is None else line)
        raise ToolkitError(f"{place}: malformed JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ToolkitError(
            f"{where(path, line)}: JSON nested too deeply to read (more than {MAX_DEPTH} levels)"
        ) from None
    except ValueError:  # the only other ValueError json raises: an integer of more than 4,300 digits
        raise ToolkitError(f"{where(path, line)}: a number with more than 4,300 digits") from None
    problem = check_json(value, strings=bool(_ESCAPED_SURROGATE.search(text)))
    if problem:
        raise ToolkitError(f"{where(path, line)}: {problem}")
    return value


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a malformed line is a ToolkitError naming file and line."""
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    # Only \n ends a record: splitlines() would also cut at U+2028 or \x85, which JSON strings may hold raw.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        yield number, jsonl_record(line, path, number)


def jsonl_record(line: str, path: str | Path, number: int) -> dict[str, Any]:
    """One JSONL line as a JSON object, checked; anything else is a ToolkitError naming the file and line."""
    record = _loads(line, path, number)
    if not isinstance(record, dict):
        raise ToolkitError(f"{where(path, number)}: expected a JSON object, got {type(record).__name__}")
    return record


def read_json(path: str | Path) -> Any:
    """A JSON file's value, checked by `check_json`; a malformed file is a ToolkitError naming file and line."""
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    return _loads(text, path)


def parse_toml(text: str, origin: str | Path) -> dict[str, Any]:
    """A TOML document's tables; a syntax error is a ToolkitError naming `origin` (file or resource)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ToolkitError(f"{origin}: not valid TOML ({exc})") from None


def check_writable(path: str | Path, *, directory: bool = False) -> Path:
    """Refuse, before any work, an output path that cannot be written: a folder on its way is a file
    (`-o notes.txt/out.json`), or the path is a folder where a file is expected (or a file where a folder is)."""
    path = Path(path)
    if directory and path.exists() and not path.is_dir():
        raise ToolkitError(f"{path}: is a file, expected a folder to write the output in")
    if not directory and path.is_dir():
        raise ToolkitError(f"{path}: is a directory, expected a file name to write")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ToolkitError(f"{path}: cannot write there, {parent} is a file, not a folder")
            break
    return path


def write_text_atomic(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it into place: readers never see half a file.

    With overwrite=False an existing file is never replaced (the rename uses a hard link, which fails if the
    name exists), which is what append-only snapshots need. Any failure leaves no file behind and is one line.
    """
    path = check_writable(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolkitError(
            f"{path}: not written, the text holds a lone surrogate \\u{ord(text[exc.start]):04x}"
            f" at character {exc.start} (not valid Unicode)"
        ) from None
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if temporary is not None and os.path.exists(temporary):
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
