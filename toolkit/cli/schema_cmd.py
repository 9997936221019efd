"""`toolkit schema ...`: the label schema and the Label Studio config generated from it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, Group, example
from toolkit.project import LABELING_CONFIG, SCHEMA

app = typer.Typer(
    cls=Group,
    help="The label schema and the Label Studio labelling config generated from it.",
    no_args_is_help=True,
)

SchemaOption = Annotated[Path, typer.Option("--schema", help="The label schema (TOML).")]


@app.command(
    "config", cls=Command, epilog=example("toolkit schema config --check", "toolkit schema config -o -")
)
def config(
    schema: SchemaOption = SCHEMA,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the config; '-' for stdout.")
    ] = LABELING_CONFIG,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when OUTPUT differs from the schema; write nothing.")
    ] = False,
) -> None:
    """Generate the Label Studio labelling config from the label schema."""
    from toolkit.errors import ToolkitError
    from toolkit.io import read_text, write_text_atomic
    from toolkit.schema import labeling_config, load_schema

    xml = labeling_config(load_schema(schema))
    if str(output) == "-":
        typer.echo(xml, nl=False)
    elif check:
        current = read_text(output) if output.exists() else ""
        if current != xml:
            raise ToolkitError(f"{output} is out of date with {schema}: run `toolkit schema config`")
        typer.echo(f"{output} matches {schema}")
    else:
        write_text_atomic(output, xml)
        typer.echo(f"wrote {output}")
