"""`toolkit dataset ...`: build a DatasetDict from Label Studio exports, or import a public corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Build datasets from annotation exports or public corpora.", no_args_is_help=True)


@app.command("build")
def build(
    exports: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Label Studio JSON exports; default: the latest snapshot of each project.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Dataset directory to write.")] = Path(
        "data/sample"
    ),
    schema: Annotated[Path, typer.Option(help="The label schema.")] = Path("annotations/schema.toml"),
    seed: Annotated[int, typer.Option(help="Seed of the train/validation/test split by article.")] = 13,
    validation: Annotated[
        float, typer.Option(help="Share of articles for validation.", min=0.0, max=0.5)
    ] = 0.15,
    test: Annotated[float, typer.Option(help="Share of articles for test.", min=0.0, max=0.5)] = 0.15,
) -> None:
    """Turn annotation exports into claims and entities datasets, split by article, with a content hash."""
    from toolkit.dataset import build_dataset

    result = build_dataset(
        exports or (),
        output,
        schema_path=schema,
        seed=seed,
        validation_fraction=validation,
        test_fraction=test,
    )
    manifest = result.manifest
    typer.echo(f"dataset {manifest.version} written to {result.output} (sha256 {manifest.content_hash})")
    typer.echo(
        f"  annotations: {result.report.summary()}, {result.duplicate_annotations} second annotations not used"
    )
    for task, info in manifest.tasks.items():
        rows = ", ".join(f"{split} {count}" for split, count in info["rows"].items())
        typer.echo(f"  {task}: {rows} rows")
