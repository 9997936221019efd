"""`ingest`: read every input, clean each article, drop empties and duplicates, split sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.ingest.boilerplate import clean_lines, load_rules
from toolkit.ingest.readers import read_input
from toolkit.records import Article, text_hash
from toolkit.text.language import check_language, detect_language
from toolkit.text.normalize import normalize
from toolkit.text.sentences import split_sentences

__all__ = ["IngestResult", "ingest"]

# Hash-derived ids are this many hex characters: short enough to read, 64 bits against collisions.
ID_LENGTH = 16


@dataclass
class IngestResult:
    """The kept articles, in input order, and what was dropped on the way."""

    articles: list[Article] = field(default_factory=list)
    read: int = 0
    duplicates: int = 0
    empty: int = 0
    boilerplate_lines: int = 0
    repeated_lines: int = 0


def ingest(
    inputs: Sequence[Path], *, boilerplate: Path | None = None, lang: str | None = None
) -> IngestResult:
    """Read, clean and split the articles of `inputs` (files, directories, saved HF datasets).

    `boilerplate` adds line rules to the defaults in toolkit/data/boilerplate.toml. `lang` forces every
    article's language; otherwise an article's own `lang` field wins over detection. Line counts cover every
    article read. Raises ToolkitError for unreadable input and when no article is left.
    """
    forced = check_language(lang, "--lang") if lang is not None else None
    rules = load_rules(boilerplate)
    result = IngestResult()
    # Reading every input first makes a bad file fail fast, before any cleaning work is spent.
    raws = [raw for path in inputs for raw in read_input(Path(path))]
    result.read = len(raws)
    sources_by_id: dict[str, str] = {}
    seen: set[str] = set()
    for raw in raws:
        cleaned = clean_lines(normalize(raw.text), rules)
        result.boilerplate_lines += len(cleaned.boilerplate)
        result.repeated_lines += len(cleaned.repeated)
        if not cleaned.text:
            result.empty += 1
            continue
        digest = text_hash(cleaned.text)
        if digest in seen:
            result.duplicates += 1
            continue
        seen.add(digest)
        article_id = raw.id or digest[:ID_LENGTH]
        if article_id in sources_by_id:
            raise ToolkitError(
                f"{raw.source}: id {article_id!r} is already used by {sources_by_id[article_id]}"
            )
        sources_by_id[article_id] = raw.source
        article_lang = forced or raw.lang or detect_language(cleaned.text)
        result.articles.append(
            Article(
                id=article_id,
                title=raw.title,
                text=cleaned.text,
                lang=article_lang,
                content_hash=digest,
                source=raw.source,
                sentences=split_sentences(cleaned.text, article_lang),
                meta=raw.meta,
            )
        )
    if not result.articles:
        names = ", ".join(str(path) for path in inputs)
        if not result.read:
            raise ToolkitError(f"no articles in {names}")
        # A duplicate needs a kept original, so every article read was empty after cleaning.
        raise ToolkitError(f"no articles left in {names}: all {result.read} read were empty after cleaning")
    return result
