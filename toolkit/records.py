"""The records every stage passes on: an article, a labelled span, a model's prediction for an article."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.project import LANGUAGES

__all__ = ["Span", "KEYS", "text_hash", "Article", "PredictedSpan", "ArticlePrediction"]


@dataclass(frozen=True, order=True)
class Span:
    """A labelled half-open character range [start, end) in a text."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


KEYS = ("id", "title", "text", "lang", "content_hash", "source", "sentences", "meta")


def text_hash(text: str) -> str:
    """The full sha256 hex digest of a (normalised) text: equal texts, equal hashes, across runs and machines."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Article:
    """One cleaned article: its text, where it came from, and its sentences as [start, end) offsets."""

    id: str
    title: str | None
    text: str
    lang: str
    content_hash: str
    source: str
    sentences: list[tuple[int, int]]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready record, keys in the documented order, sentences as [start, end] lists."""
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "lang": self.lang,
            "content_hash": self.content_hash,
            "source": self.source,
            "sentences": [[start, end] for start, end in self.sentences],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any], place: str = "article") -> Article:
        """Check a record written by `to_dict` and build the Article; ToolkitError naming `place` if it is off."""
        keys = set(record)
        if keys != set(KEYS):
            missing = ", ".join(key for key in KEYS if key not in keys)
            extra = ", ".join(sorted(keys - set(KEYS)))
            problems = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
            raise ToolkitError(f"{place}: not an ingested article ({'; '.join(p for p in problems if p)})")
        for key in ("id", "text", "content_hash", "source"):
            if not isinstance(record[key], str):
                raise ToolkitError(f"{place}: {key!r} must be a string, got {type(record[key]).__name__}")
        text = record["text"]
        if not (record["title"] is None or isinstance(record["title"], str)):
            raise ToolkitError(f"{place}: 'title' must be a string or null")
        if record["lang"] not in LANGUAGES:
            raise ToolkitError(
                f"{place}: 'lang' must be one of {', '.join(LANGUAGES)}, got {record['lang']!r}"
            )
        if not isinstance(record["meta"], dict):
            raise ToolkitError(f"{place}: 'meta' must be an object")
        # A hand-edited text would silently shift every sentence and annotation offset computed on it.
        if record["content_hash"] != text_hash(text):
            raise ToolkitError(
                f"{place}: 'content_hash' does not match 'text' (edited after ingest? ingest again)"
            )
        if not isinstance(record["sentences"], list):
            raise ToolkitError(f"{place}: 'sentences' must be a list of [start, end] pairs")
        sentences = []
        previous_end = 0
        for pair in record["sentences"]:
            valid = isinstance(pair, list) and len(pair) == 2 and all(type(value) is int for value in pair)
            if not valid or not previous_end <= pair[0] < pair[1] <= len(text):
                raise ToolkitError(
                    f"{place}: 'sentences' must hold ordered, non-overlapping [start, end] pairs inside the text;"
                    f" got {pair!r}"
                )
            sentences.append((pair[0], pair[1]))
            previous_end = pair[1]
        return cls(
            id=record["id"],
            title=record["title"],
            text=text,
            lang=record["lang"],
            content_hash=record["content_hash"],
            source=record["source"],
            sentences=sentences,
            meta=record["meta"],
        )


@dataclass(frozen=True)
class PredictedSpan:
    group: str  # the Label Studio <Labels> group: "entities" or "claims"
    label: str
    start: int
    end: int
    text: str
    score: float


@dataclass
class ArticlePrediction:
    article_id: str
    spans: list[PredictedSpan]
    model_version: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
