"""`toolkit labelstudio init`, `toolkit export`, `toolkit pull`: the Label Studio round trip."""

from __future__ import annotations

import typer

app = typer.Typer(help="Set up Label Studio projects.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    """Add the top-level `export` and `pull` commands."""
