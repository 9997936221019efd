"""Turn news articles into annotated datasets and trained models.

ingest → push to Label Studio → pull annotations → dataset build → train (MLflow) → predict.
"""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.cli import (
    agreement_cmd,
    clusters_cmd,
    dataset_cmd,
    ingest_cmd,
    labelstudio_cmd,
    model_cmd,
    predict_cmd,
    review_cmd,
    runs_cmd,
    schema_cmd,
)
from toolkit.cli._util import Group
from toolkit.errors import ToolkitError


class _ToolkitGroup(Group):
    """Print a user's mistake as one line on stderr and exit 1: no traceback for bad input."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except ToolkitError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        except typer.TyperException as error:
            # A missing file or a bad option value is bad input too: one line, like every other error.
            context = getattr(error, "ctx", None) or ctx
            typer.echo(f"error: {error.format_message()} (see `{context.command_path} --help`)", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_ToolkitGroup,
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"toolkit {version('toolkit')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the installed version and exit."
        ),
    ] = False,
) -> None:
    pass


app.add_typer(schema_cmd.app, name="schema")
app.add_typer(dataset_cmd.app, name="dataset")
app.add_typer(runs_cmd.app, name="runs")
app.add_typer(labelstudio_cmd.app, name="labelstudio")
app.add_typer(clusters_cmd.app, name="clusters")
ingest_cmd.register(app)
model_cmd.register(app)
predict_cmd.register(app)
labelstudio_cmd.register(app)
agreement_cmd.register(app)
review_cmd.register(app)


def main() -> None:
    app()
