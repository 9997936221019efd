"""`toolkit ingest`: read articles, clean them, split sentences."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add the top-level `ingest` command."""
