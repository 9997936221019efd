"""Reading raw articles from .txt, .jsonl, .csv and saved .html pages, directories of them, and saved HF datasets."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where
from toolkit.io import read_jsonl, read_text
from toolkit.text.language import check_language
from toolkit.text.normalize import normalize

__all__ = ["RawArticle", "read_input", "EXTENSIONS"]

# Files of articles, and saved web pages (one article each).
TEXT_EXTENSIONS = (".txt", ".jsonl", ".csv")
PAGE_EXTENSIONS = (".html", ".htm")
EXTENSIONS = TEXT_EXTENSIONS + PAGE_EXTENSIONS
# Fields with a meaning of their own; every other field of a record goes under `meta`.
_FIELDS = ("text", "id", "title", "lang")
# Fields of an already-ingested article that are recomputed from the new text, so the old values would lie.
_DERIVED = ("content_hash", "sentences")


@dataclass
class RawArticle:
    """An article as read, before cleaning; `source` names the file and line or row it came from."""

    text: str
    source: str
    id: str | None = None
    title: str | None = None
    lang: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _json_safe(value: Any) -> Any:
    """`value` as plain JSON: NaN becomes null (JSON has no NaN), unknown objects (dates, arrays) become text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return str(value)


def _raw(record: dict[str, Any], source: str, place: str) -> RawArticle:
    """A RawArticle from a record with a `text` field and optional id/title/lang; empty strings count as absent."""
    text = record.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ToolkitError(f"{place}: field 'text' must be a string, got {type(text).__name__}")
    identifier = record.get("id")
    if isinstance(identifier, bool) or not (identifier is None or isinstance(identifier, str | int)):
        raise ToolkitError(
            f"{place}: field 'id' must be a string or an integer, got {type(identifier).__name__}"
        )
    title = record.get("title")
    if not (title is None or isinstance(title, str)):
        raise ToolkitError(f"{place}: field 'title' must be a string, got {type(title).__name__}")
    lang = record.get("lang")
    if not (lang is None or isinstance(lang, str)):
        raise ToolkitError(f"{place}: field 'lang' must be a string, got {type(lang).__name__}")
    meta: dict[str, Any] = {}
    # An input that is itself ingested output carries a `meta` object: merge it rather than nest it.
    if isinstance(record.get("meta"), dict):
        meta.update(record["meta"])
    meta.update({key: value for key, value in record.items() if key not in (*_FIELDS, *_DERIVED, "meta")})
    if "meta" in record and not isinstance(record["meta"], dict):
        meta["meta"] = record["meta"]
    return RawArticle(
        text=text,
        source=source,
        id=_present(identifier),
        # A title is one line: its newlines are layout.
        title=_present(" ".join(normalize(title).split()) if title else None),
        lang=check_language(lang, place) if _present(lang) else None,
        meta=_json_safe(meta),
    )


def _present(value: str | int | None) -> str | None:
    """`value` as a stripped string; None when absent or blank, as CSV cells and optional JSON fields often are."""
    if value is None:
        return None
    return str(value).strip() or None


def _read_txt(path: Path) -> Iterator[RawArticle]:
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    yield RawArticle(text=text, source=str(path))


def _read_html(path: Path) -> Iterator[RawArticle]:
    # Bytes, not text: a saved page declares its own charset (often not UTF-8), and the extractor honours it.
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot read ({exc.strerror})") from None
    if not content.strip():
        raise ToolkitError(f"{path}: file is empty")
    from toolkit.ingest.html import extract_page

    page = extract_page(content)
    # A page without article text (an index, a cookie wall) is read, then counted as empty by ingest.
    yield RawArticle(text=page.text, source=str(path), title=page.title, meta=page.meta())


def _read_jsonl(path: Path) -> Iterator[RawArticle]:
    for number, record in read_jsonl(path):
        place = where(path, number)
        if "text" not in record:
            raise ToolkitError(f"{place}: no 'text' field (fields: {', '.join(record) or 'none'})")
        yield _raw(record, place, place)


def _read_csv(path: Path) -> Iterator[RawArticle]:
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    # newline="" lets the csv module see the line endings inside quoted fields. strict=True: a lenient reader
    # lets an unterminated quote swallow every row after it into one field, silently.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    try:
        header = [name.strip() for name in next(reader)]
        if "text" not in header:
            raise ToolkitError(f"{where(path, 1)}: no 'text' column (columns: {', '.join(header)})")
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise ToolkitError(f"{where(path, 1)}: column {', '.join(repeated)} appears twice in the header")
        previous_end = reader.line_num
        for row in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not row or row == [""]:
                continue
            if len(row) != len(header):
                raise ToolkitError(
                    f"{where(path, line)}: {len(row)} fields where the header has {len(header)}"
                    " (a comma in an unquoted text?)"
                )
            record = {name: value for name, value in zip(header, row, strict=True) if name}
            yield _raw(record, where(path, line), where(path, line))
    except csv.Error as exc:
        start = previous_end + 1
        if "unexpected end of data" in str(exc):
            raise ToolkitError(
                f"{where(path, start)}: a quote opened in this row is never closed, so it would swallow every"
                ' row after it; close it or double the quote ("") inside a quoted text'
            ) from None
        if "field larger than field limit" in str(exc):
            raise ToolkitError(
                f"{where(path, start)}: a field of this row runs past {csv.field_size_limit():,} characters"
                " (a quote never closed, swallowing the rows after it?)"
            ) from None
        raise ToolkitError(
            f"{where(path, start)}: malformed CSV quoting in the row starting here ({exc} on line"
            f" {reader.line_num}); an unterminated quote swallows the rows after it"
        ) from None


def is_saved_dataset(path: Path) -> bool:
    """Whether `path` is a directory written by Dataset.save_to_disk or DatasetDict.save_to_disk."""
    return (path / "dataset_dict.json").is_file() or (
        (path / "state.json").is_file() and (path / "dataset_info.json").is_file()
    )


def load_saved_dataset(path: Path) -> Any:  # datasets.Dataset or DatasetDict, imported lazily
    """A Hugging Face dataset saved with save_to_disk; one line naming the folder when it cannot be loaded."""
    # Reading from disk needs no hub, and a lookup on an offline machine costs a long timeout.
    from toolkit.project import offline_hubs

    offline_hubs()
    import datasets

    try:
        return datasets.load_from_disk(str(path))
    except (OSError, ValueError) as exc:
        raise ToolkitError(f"{path}: cannot load the saved dataset ({exc})") from None


def _read_saved_dataset(path: Path) -> Iterator[RawArticle]:
    import datasets

    loaded = load_saved_dataset(path)
    if isinstance(loaded, datasets.DatasetDict):
        splits = [(path / split, dataset) for split, dataset in loaded.items()]
    else:
        splits = [(path, loaded)]
    for place, dataset in splits:
        if "text" not in dataset.column_names:
            raise ToolkitError(
                f"{place}: dataset has no 'text' column (columns: {', '.join(dataset.column_names)})"
            )
        # Sources name rows by their dataset index, the number `dataset[index]` takes.
        for index, row in enumerate(dataset.with_format(None)):
            source = f"{place}#{index}"
            yield _raw(row, source, source)


def _read_directory(path: Path) -> Iterator[RawArticle]:
    if is_saved_dataset(path):
        yield from _read_saved_dataset(path)
        return
    files = sorted(
        child
        for child in path.iterdir()
        if child.is_file() and child.suffix.lower() in EXTENSIONS and not child.name.startswith(".")
    )
    if not files:
        raise ToolkitError(
            f"{path}: no {', '.join(TEXT_EXTENSIONS)} files or {', '.join(PAGE_EXTENSIONS)} pages,"
            " and not a saved Hugging Face dataset"
        )
    for child in files:
        yield from read_input(child)


def read_input(path: Path) -> Iterator[RawArticle]:
    """The raw articles of one input: a file (by extension), a directory of files, or a saved HF dataset."""
    path = Path(path)
    if path.is_dir():
        yield from _read_directory(path)
        return
    if not path.exists():
        raise ToolkitError(f"{path}: file not found")
    readers = {
        ".txt": _read_txt,
        ".jsonl": _read_jsonl,
        ".csv": _read_csv,
        ".html": _read_html,
        ".htm": _read_html,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ToolkitError(
            f"{path}: unknown extension {path.suffix or '(none)'!r}; expected {', '.join(EXTENSIONS)},"
            " a directory of them, or a saved Hugging Face dataset"
        )
    yield from reader(path)
