"""`toolkit train`, `toolkit evaluate`, `toolkit predict`: fit, score and apply models."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add the top-level `train`, `evaluate` and `predict` commands."""
