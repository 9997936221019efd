"""Checking a span against its text, and UTF-16 offsets (what older Label Studio front ends counted)."""

from __future__ import annotations

__all__ = ["needs_utf16", "to_utf16", "from_utf16", "check_span"]


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
