"""The article record `toolkit ingest` writes and every later step reads (one JSON object per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where
from toolkit.io import jsonl_record, read_jsonl, write_jsonl_atomic
from toolkit.records import Article

__all__ = ["read_articles", "write_articles", "iter_articles", "count_articles"]


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


def _jsonl_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(place, object) per non-blank line, one line in memory at a time (only \\n ends a record)."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ToolkitError(f"{path}: cannot read ({exc.strerror})") from None
    with stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise ToolkitError(
                    f"{where(path, number)}: not valid UTF-8; re-encode the file as UTF-8"
                ) from None
            if not line.strip():
                continue
            yield where(path, number), jsonl_record(line, path, number)


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


def _parquet_records(path: Path, batch_rows: int) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise ToolkitError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    index = 0
    for batch in table.iter_batches(batch_size=batch_rows):
        for row in batch.to_pylist():
            yield f"{path} row {index}", _table_record(row)
            index += 1


def _dataset_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import datasets

    from toolkit.ingest.readers import load_saved_dataset

    loaded = load_saved_dataset(path)
    if isinstance(loaded, datasets.DatasetDict):
        raise ToolkitError(f"{path}: a DatasetDict; pass one of its splits ({', '.join(loaded)})")
    # Arrow files are memory-mapped: iterating reads one row at a time.
    for index, row in enumerate(loaded.with_format(None)):
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


def count_articles(path: str | Path) -> int | None:
    """How many articles `iter_articles` will yield, without parsing them (for a progress bar); None if
    unknown."""
    path = Path(path)
    try:
        if path.is_dir():
            from toolkit.project import offline_hubs

            offline_hubs()
            import datasets

            return len(datasets.load_from_disk(str(path)))
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        with path.open("rb") as stream:
            return sum(1 for line in stream if line.strip())
    except Exception:  # a count is a nicety; reading the articles reports what is wrong
        return None
