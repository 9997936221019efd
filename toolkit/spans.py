"""Character spans, tokens with offsets, BIO tags, and UTF-16 offsets (what the Label Studio front end counts)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Span",
    "tokenize",
    "tokenize_with_boundaries",
    "spans_to_bio",
    "bio_to_spans",
    "repair_bio",
    "to_utf16",
    "from_utf16",
    "needs_utf16",
    "check_span",
]

# Elided articles and pronouns (l', d', qu', n'...) are their own token so that "d'OpenAI" tags OpenAI alone;
# numbers keep their decimal and thousands separators; words keep inner hyphens and apostrophes (aujourd'hui).
_TOKEN = re.compile(
    r"""
    (?:[A-Za-zÀ-ÖØ-öø-ÿ]{1,2}|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu)['’](?=\w)   # elision: l' d' qu' jusqu'
    | \d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?                                # 1,234.5  3,5  1 000 (nbsp)
    | \w+(?:[-'’]\w+)*                                                         # words, aujourd'hui, Wi-Fi
    | \S                                                                       # any other visible char
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, order=True)
class Span:
    """A labelled half-open character range [start, end) in a text."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Tokens of `text` as (token, start, end), offsets in code points into `text`."""
    return [(match.group(), match.start(), match.end()) for match in _TOKEN.finditer(text)]


def tokenize_with_boundaries(text: str, boundaries: Iterable[int]) -> list[tuple[str, int, int]]:
    """Tokenize, then split any token that a span boundary falls inside, so every span covers whole tokens."""
    cuts = sorted(set(boundaries))
    tokens = []
    for _token, start, end in tokenize(text):
        inner = [cut for cut in cuts if start < cut < end]
        for piece_start, piece_end in zip([start, *inner], [*inner, end], strict=True):
            piece = text[piece_start:piece_end]
            stripped = piece.strip()
            if stripped:
                offset = piece_start + piece.index(stripped)
                tokens.append((stripped, offset, offset + len(stripped)))
    return tokens


def spans_to_bio(tokens: Sequence[tuple[str, int, int]], spans: Iterable[Span]) -> list[str]:
    """BIO tags for `tokens` from character spans; a token belongs to a span when it lies inside it."""
    tags = ["O"] * len(tokens)
    for span in sorted(spans):
        inside = [i for i, (_, start, end) in enumerate(tokens) if start >= span.start and end <= span.end]
        if not inside or any(tags[i] != "O" for i in inside):
            continue
        tags[inside[0]] = f"B-{span.label}"
        for i in inside[1:]:
            tags[i] = f"I-{span.label}"
    return tags


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Make a tag sequence valid BIO: an I- that does not continue a span of its type becomes B- (IOB1 → IOB2)."""
    repaired = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        repaired.append(tag)
        previous = tag
    return repaired


def bio_to_spans(tokens: Sequence[tuple[str, int, int]], tags: Sequence[str]) -> list[Span]:
    """Character spans from BIO tags (conlleval semantics: an I- after a different type starts a new span)."""
    spans = []
    current: list | None = None
    for (_, start, end), tag in zip(tokens, repair_bio(tags), strict=True):
        if tag.startswith("B-"):
            if current:
                spans.append(Span(*current))
            current = [start, end, tag[2:]]
        elif tag.startswith("I-") and current:
            current[1] = end
        else:
            if current:
                spans.append(Span(*current))
            current = None
    if current:
        spans.append(Span(*current))
    return spans


def needs_utf16(text: str) -> bool:
    """True when code-point and UTF-16 offsets differ somewhere in `text` (characters outside the BMP: emoji)."""
    return any(ord(char) > 0xFFFF for char in text)


def to_utf16(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point `offset` in `text`."""
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def from_utf16(text: str, offset: int) -> int:
    """The code-point offset of UTF-16 code-unit `offset` in `text` (the inverse of `to_utf16`)."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def check_span(text: str, start: object, end: object, expected: str | None) -> str | None:
    """Why a span is unusable on `text`, or None when it is fine: offsets are ints in range, text matches."""
    if (
        not isinstance(start, int)
        or not isinstance(end, int)
        or isinstance(start, bool)
        or isinstance(end, bool)
    ):
        return f"offsets must be integers, got start={start!r} end={end!r}"
    if not 0 <= start < end <= len(text):
        return f"offsets [{start}, {end}) out of range for a text of {len(text)} characters"
    if expected is not None and text[start:end] != expected:
        return f"span text {expected!r} does not match the text at [{start}, {end}): {text[start:end]!r}"
    return None
