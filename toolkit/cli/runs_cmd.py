"""`toolkit runs ...`: list, compare and promote MLflow runs."""

from __future__ import annotations

import typer

app = typer.Typer(help="List, compare and promote MLflow runs.", no_args_is_help=True)
