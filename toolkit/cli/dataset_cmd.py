"""`toolkit dataset ...`: build a DatasetDict from Label Studio exports, or import a public corpus."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build datasets from annotation exports or public corpora.", no_args_is_help=True)
