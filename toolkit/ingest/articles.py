"""The article record `toolkit ingest` writes and every later step reads (one JSON object per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where
from toolkit.io import jsonl_record, read_jsonl, write_jsonl_atomic
from toolkit.records import Article

__all__ = ["read_articles", "write_articles", "iter_articles", "ArticleRange", "article_ranges", "read_range"]


def read_articles(path: str | Path) -> list[Article]:
    """The articles of a file written by `toolkit ingest`, each checked; a bad line is a ToolkitError at file:line."""
    articles = []
    first_line: dict[str, int] = {}
    for number, record in read_jsonl(path):
        article = Article.from_dict(record, where(path, number))
        if article.id in first_line:
            raise ToolkitError(
                f"{where(path, number)}: id {article.id!r} already used on line {first_line[article.id]}"
            )
        first_line[article.id] = number
        articles.append(article)
    return articles


def write_articles(path: str | Path, articles: Iterable[Article]) -> Path:
    """Write articles as JSONL atomically: the file is complete or untouched."""
    return write_jsonl_atomic(path, (article.to_dict() for article in articles))


def _jsonl_line(raw: bytes, path: Path, number: int) -> dict[str, Any] | None:
    """Line `number` of an articles file as a JSON object, None when blank (only \\n ends a record)."""
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise ToolkitError(f"{where(path, number)}: not valid UTF-8; re-encode the file as UTF-8") from None
    return jsonl_record(line, path, number) if line.strip() else None


def _jsonl_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(place, object) per non-blank line, one line in memory at a time."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot read ({exc.strerror})") from None
    with stream:
        for number, raw in enumerate(stream, start=1):
            record = _jsonl_line(raw, path, number)
            if record is not None:
                yield where(path, number), record


def _table_record(row: dict[str, Any]) -> dict[str, Any]:
    """An article row of Parquet or a saved dataset: `meta` may be JSON text (Arrow has no empty struct)."""
    row = dict(row)
    if isinstance(row.get("meta"), str):
        row["meta"] = json.loads(row["meta"]) if row["meta"] else {}
    elif row.get("meta") is None and "meta" in row:
        row["meta"] = {}
    if isinstance(row.get("sentences"), list):
        row["sentences"] = [list(pair) for pair in row["sentences"]]
    return row


def _saved_dataset(path: Path) -> Any:
    import datasets

    from toolkit.ingest.readers import load_saved_dataset

    loaded = load_saved_dataset(path)
    if isinstance(loaded, datasets.DatasetDict):
        raise ToolkitError(f"{path}: a DatasetDict; pass one of its splits ({', '.join(loaded)})")
    return loaded


def _parquet_file(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ToolkitError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None


def _parquet_records(path: Path, batch_rows: int) -> Iterator[tuple[str, dict[str, Any]]]:
    index = 0
    for batch in _parquet_file(path).iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            yield f"{path} row {index}", _table_record(row)
            index += 1


def _dataset_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    # Arrow files are memory-mapped: iterating reads one row at a time.
    for index, row in enumerate(_saved_dataset(path).with_format(None)):
        yield f"{path}#{index}", _table_record(row)


def iter_articles(path: str | Path, *, batch_rows: int = 1024) -> Iterator[Article]:
    """The articles of an articles JSONL file, a Parquet file or a saved Hugging Face dataset (the same
    fields), checked one by one and never all in memory: what batch prediction streams. Unlike
    `read_articles`, repeated ids are not refused (that would need every id in memory)."""
    path = Path(path)
    if path.is_dir():
        records = _dataset_records(path)
    elif not path.exists():
        raise ToolkitError(f"{path}: file not found")
    elif path.suffix.lower() == ".parquet":
        records = _parquet_records(path, batch_rows)
    else:
        records = _jsonl_records(path)
    for place, record in records:
        yield Article.from_dict(record, place)


@dataclass(frozen=True)
class ArticleRange:
    """Articles a process can read on its own, without the rest of the source: bytes [start, end) of a JSONL
    file, whose first line is number `line`, or rows [start, end) of a Parquet file or a saved dataset (`line`
    0). `count` articles."""

    start: int
    end: int
    count: int
    line: int = 0


def article_ranges(path: str | Path, size: int) -> list[ArticleRange]:
    """The source cut into ranges of `size` articles (the last may hold fewer), found without parsing a single
    article: JSONL is scanned for line ends, a table's rows are counted from its metadata. Batch prediction
    hands each range to whichever process predicts it."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".parquet":
        if path.is_dir():
            total = len(_saved_dataset(path))
        elif not path.exists():
            raise ToolkitError(f"{path}: file not found")
        else:
            total = _parquet_file(path).metadata.num_rows
        return [ArticleRange(s, min(s + size, total), min(size, total - s)) for s in range(0, total, size)]
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot read ({exc.strerror or exc})") from None
    ranges: list[ArticleRange] = []
    start = offset = count = 0
    line = 1
    with stream:
        for number, raw in enumerate(stream, start=1):
            if count == 0:
                start, line = offset, number
            offset += len(raw)
            if raw.strip():
                count += 1
                if count == size:
                    ranges.append(ArticleRange(start, offset, count, line))
                    count = 0
    if count:
        ranges.append(ArticleRange(start, offset, count, line))
    return ranges


def read_range(path: str | Path, chunk: ArticleRange) -> list[Article]:
    """The articles of one range of `article_ranges(path, ...)`, checked; errors name the file and line (or
    row) as `iter_articles` would."""
    path = Path(path)
    if path.is_dir():
        columns = _saved_dataset(path).with_format(None)[chunk.start : chunk.end]
        rows = (dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True))
        places = (f"{path}#{index}" for index in range(chunk.start, chunk.end))
        return [Article.from_dict(_table_record(row), place) for row, place in zip(rows, places, strict=True)]
    if path.suffix.lower() == ".parquet":
        parquet, first, articles = _parquet_file(path), 0, []
        for group in range(parquet.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            if first < chunk.end and first + rows > chunk.start:
                low, high = max(chunk.start - first, 0), min(chunk.end - first, rows)
                table = parquet.read_row_group(group).slice(low, high - low)
                for index, row in enumerate(table.to_pylist(), start=first + low):
                    articles.append(Article.from_dict(_table_record(row), f"{path} row {index}"))
            first += rows
        return articles
    with path.open("rb") as stream:
        stream.seek(chunk.start)
        data = stream.read(chunk.end - chunk.start)
    articles = []
    for number, raw in enumerate(data.split(b"\n"), start=chunk.line):
        record = _jsonl_line(raw, path, number)
        if record is not None:
            articles.append(Article.from_dict(record, where(path, number)))
    return articles
