"""Normalising an article's text: NFC, one kind of space, stripped lines, paragraphs kept."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize"]

# Line and paragraph separators that are not "\n"; the paragraph separator becomes a paragraph break.
_NEWLINES = {
    "\r\n": "\n",
    "\r": "\n",
    "\u2029": "\n\n",
    "\u2028": "\n",
    "\x85": "\n",
    "\x0b": "\n",
    "\x0c": "\n",
}


# Invisible characters that break tokens and offsets without showing (zero-width space, word joiner, BOM,
# soft hyphen) and C0 controls other than tab and newline.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f]")


# Every whitespace but the newline: tabs, no-break spaces (French "3,5 %"), thin and ideographic spaces.
_SPACES = re.compile(r"[^\S\n]+")


def normalize(text: str) -> str:
    """NFC, one kind of space, stripped lines, single newlines kept, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text)
    for old, new in _NEWLINES.items():
        text = text.replace(old, new)
    text = _INVISIBLE.sub("", text)
    paragraphs: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(lines) for lines in paragraphs if lines)
