"""Tokens with code-point offsets: French elisions split off, numbers kept whole."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["tokenize", "tokenize_with_boundaries"]

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
