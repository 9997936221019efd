"""`toolkit ingest`: read articles, clean them, split sentences."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, example


class Language(StrEnum):
    fr = "fr"
    en = "en"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def ingest_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            metavar="INPUT",
            help=".txt, .jsonl, .csv or saved web pages (.html, .htm), directories of them, or Hugging Face datasets saved with save_to_disk.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", dir_okay=False, help="The articles JSONL to write.", show_default=False
        ),
    ],
    boilerplate: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A TOML file of extra boilerplate line rules, added to the defaults.",
        ),
    ] = None,
    lang: Annotated[
        Language | None, typer.Option(help="Force this language for every article instead of detecting it.")
    ] = None,
) -> None:
    """Read news articles, drop boilerplate and duplicates, detect the language, split sentences; write JSONL."""
    from toolkit.ingest import ingest, write_articles

    result = ingest(inputs, boilerplate=boilerplate, lang=lang.value if lang else None)
    write_articles(output, result.articles)
    typer.echo(
        f"wrote {_plural(len(result.articles), 'article')} to {output} (read {result.read},"
        f" {_plural(result.duplicates, 'duplicate')}, {result.empty} empty,"
        f" {_plural(result.boilerplate_lines, 'boilerplate line')} and"
        f" {_plural(result.repeated_lines, 'repeated line')} dropped)"
    )


def register(root: typer.Typer) -> None:
    """Add the top-level `ingest` command."""
    root.command(
        "ingest",
        cls=Command,
        epilog=example(
            "toolkit ingest ../shared/examples/softbank-openai-fr.txt --output articles.jsonl",
            "toolkit ingest feeds/ news.csv --lang en -o articles.jsonl",
        ),
    )(ingest_command)
