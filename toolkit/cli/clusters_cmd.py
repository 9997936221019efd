"""`toolkit clusters build`: word clusters learned without labels from raw text, for the entity tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, Group, example
from toolkit.project import SEED

app = typer.Typer(
    cls=Group, help="Learn word clusters from raw text (EntityTagger's `clusters`).", no_args_is_help=True
)


@app.command(
    "build",
    cls=Command,
    epilog=example(
        "toolkit clusters build articles.jsonl ../shared/data/winer-fr -o .cache/clusters.tsv.gz",
        "toolkit clusters build ../shared/data/conll2003-en/eng.train --columns -o .cache/clusters-conll.tsv.gz",
    ),
)
def build(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Text files (.txt, article .jsonl, .csv with a text column), folders of them, or dataset "
            "folders (their train split).",
            exists=True,
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Cluster file to write (.gz: compressed).")],
    levels: Annotated[
        str, typer.Option(help="Numbers of clusters, comma-separated: one feature per level.")
    ] = "64,256,1024",
    min_count: Annotated[int, typer.Option(help="Words seen fewer times get no cluster.", min=1)] = 3,
    columns: Annotated[
        bool, typer.Option("--columns", help="Inputs are token-per-line files (CoNLL style): first field.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the SVD and the k-means.")] = SEED,
) -> None:
    """Cluster the words of raw text by their neighbours (PPMI → SVD → k-means at each level)."""
    from toolkit.errors import ToolkitError
    from toolkit.models.clusters import build_clusters

    try:
        sizes = [int(level) for level in levels.split(",")]
    except ValueError:
        raise ToolkitError(f"--levels takes comma-separated integers, got {levels!r}") from None
    result = build_clusters(inputs, output, sizes, min_count=min_count, columns=columns, seed=seed)
    typer.echo(
        f"{result.words} words in {'/'.join(map(str, result.levels))} clusters written to {result.path} "
        f"({result.tokens} tokens from {result.files} files, {result.seconds:.1f} s)"
    )
