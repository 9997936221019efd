"""The article record `toolkit ingest` writes and every later step reads (one JSON object per line)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolkit.errors import ToolkitError, where
from toolkit.io import read_jsonl, write_jsonl_atomic
from toolkit.records import Article

__all__ = ["read_articles", "write_articles"]


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
