"""Counting words in the one-line summaries the commands print."""

from __future__ import annotations

__all__ = ["counted"]


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`1 article`, `3 articles`, `0 tasks`: a count with its noun in the right number."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
