"""`toolkit predict`: claim statuses and entities for articles, as JSONL, CSV or a table to read."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli._util import Command, example
from toolkit.text.words import counted

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from toolkit.predict import ArticleView, SentenceView


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


ENTITY_STYLE = {
    "PER": "bold magenta",
    "ORG": "bold cyan",
    "LOC": "bold green",
    "MONEY": "bold yellow",
    "PERCENT": "bold yellow",
    "DATE": "bold blue",
}
STATUS_STYLE = {
    "FACT": "green",
    "REPORTED": "cyan",
    "SPECULATIVE": "yellow",
    "FORECAST": "blue",
    "OPINION": "magenta",
}
TABLE_FILE_WIDTH = 120  # a table written to a file: wide enough to read, narrow enough to diff


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _highlighted(sentence: SentenceView) -> Text:
    """The sentence with each entity in its type's colour and its type after it: `Acme Corp[ORG]`."""
    from rich.text import Text

    text, cursor = Text(), 0
    for span in sorted(sentence.entities, key=lambda span: (span.start, -span.end)):
        start, end = span.start - sentence.start, span.end - sentence.start
        if start < cursor:  # overlapping spans (two models): the first one shown wins
            continue
        style = ENTITY_STYLE.get(span.label, "bold")
        text.append(sentence.text[cursor:start])
        text.append(sentence.text[start:end], style=style)
        text.append(f"[{span.label}]", style=f"{style.removeprefix('bold ')} dim")
        cursor = end
    text.append(sentence.text[cursor:])
    return text


def render_table(views: list[ArticleView], console: Console) -> None:
    """Per article, one row per sentence: the sentence with its entities, the claim status, score and cue."""
    from rich import box
    from rich.table import Table

    for view in views:
        title = f" · {view.title}" if view.title else ""
        console.print(f"[bold]{view.article_id}[/bold]{title} ({view.model_version})", highlight=False)
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("sentence (entities [TYPE])", ratio=1, overflow="fold")
        table.add_column("claim", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        table.add_column("cue", max_width=18, overflow="fold")
        for number, sentence in enumerate(view.sentences, start=1):
            table.add_row(
                str(number),
                _highlighted(sentence),
                f"[{STATUS_STYLE.get(sentence.status, '')}]{sentence.status}[/]" if sentence.status else "–",
                f"{sentence.score:.2f}" if sentence.score is not None else "",
                f"{sentence.cue} ({sentence.cue_category})" if sentence.cue else "",
            )
        console.print(table)


def predict_command(
    model_uri: Annotated[str, typer.Argument(help="runs:/ID/model, models:/NAME@ALIAS, ...")],
    articles: Annotated[
        Path,
        typer.Argument(
            help="Articles from `toolkit ingest`: JSONL, or the same fields as Parquet or a saved HF dataset.",
            exists=True,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="File to write; default (or '-'): standard output.",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="jsonl (one article per line), csv (one span per row) or table. Default: a table on a "
            "terminal, else jsonl; for a file, csv when it ends in .csv, else jsonl.",
            show_default=False,
        ),
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Also print the table: status, score and cue of every sentence.")
    ] = False,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Another model to apply too (repeatable).")
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            min=1,
            help="Articles per chunk when writing a file (memory stays bounded; a re-run after a crash "
            "skips the chunks in OUTPUT.parts/). Default 1000.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Predict the chunks on a local Dask cluster of N processes; 0: in this process.",
        ),
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Predict the chunks on the Dask cluster of this scheduler (tcp://HOST:PORT).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Predict the claim status of every sentence and the entities, with scores, for each article."""
    from rich.console import Console

    from toolkit.io import write_text_atomic
    from toolkit.predict import FILE_FORMATS, format_predictions, predict_file

    to_stdout = output is None or str(output) == "-"
    if format is not None:
        chosen = format.value
    elif to_stdout:
        chosen = "table" if _stdout_is_terminal() else "jsonl"
    else:
        chosen = "csv" if output.suffix.lower() == ".csv" else "jsonl"
    writes_file = not to_stdout and chosen in FILE_FORMATS
    if writes_file and not show:
        _predict_in_chunks(
            [model_uri, *(model or [])], articles, output, chosen, chunk_size, workers, scheduler
        )
        return
    batch_option = next(
        (
            name
            for name, given in (
                ("--chunk-size", chunk_size),
                ("--workers", workers),
                ("--scheduler", scheduler),
            )
            if given
        ),
        None,
    )
    if batch_option:
        raise typer.BadParameter(f"{batch_option} needs --output FILE in jsonl or csv, without --show")
    result = predict_file(
        [model_uri, *(model or [])],
        articles,
        output if writes_file else None,
        format=chosen if chosen in FILE_FORMATS else "jsonl",
    )
    spans = ", ".join(f"{count} {group}" for group, count in sorted(result.spans.items())) or "no spans"
    where = "standard output" if to_stdout else str(output)
    summary = f"wrote predictions for {counted(result.articles, 'article')} to {where} ({spans}; {result.model_version})"
    if to_stdout and chosen == "table":
        render_table(result.views, Console())
        return
    if to_stdout:
        sys.stdout.write(format_predictions(result.predictions, chosen))
        sys.stdout.flush()
    elif chosen == "table":
        buffer = io.StringIO()
        render_table(result.views, Console(file=buffer, width=TABLE_FILE_WIDTH, color_system=None))
        write_text_atomic(output, buffer.getvalue())
    if show:
        render_table(result.views, Console(stderr=to_stdout))
    typer.echo(summary, err=to_stdout)


def _predict_in_chunks(
    model_uris: list[str],
    articles: Path,
    output: Path,
    format: str,
    chunk_size: int | None,
    workers: int,
    scheduler: str | None,
) -> None:
    """Write the predictions chunk by chunk (`toolkit.batch`), with a progress bar on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from toolkit.batch import DEFAULT_CHUNK_SIZE, predict_batch

    if scheduler and workers:
        raise typer.BadParameter("--workers starts a local cluster; with --scheduler the cluster has its own")
    console = Console(stderr=True)
    with Progress(
        TextColumn("predicting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("articles"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("predict", total=None)
        result = predict_batch(
            model_uris,
            articles,
            output,
            format=format,
            chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
            workers=workers,
            scheduler=scheduler,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    spans = ", ".join(f"{count} {group}" for group, count in sorted(result.spans.items())) or "no spans"
    how = ""
    if result.chunks > 1 or result.resumed or result.engine != "process":
        resumed = f" ({result.resumed} done by an earlier run)" if result.resumed else ""
        how = f" in {counted(result.chunks, 'chunk')}{resumed} on {result.engine}"
    typer.echo(
        f"wrote predictions for {counted(result.articles, 'article')} to {output} ({spans}; "
        f"{result.model_version}){how}"
    )


def register(root: typer.Typer) -> None:
    """Add the top-level `predict` command."""
    root.command(
        "predict",
        cls=Command,
        epilog=example(
            "toolkit predict models:/toolkit-claims@champion articles.jsonl --show",
            "toolkit predict models:/toolkit-claims@champion articles.jsonl "
            "--model models:/toolkit-entities@champion -o predictions.jsonl",
            "toolkit predict runs:/RUN_ID/model articles.jsonl --format csv > predictions.csv",
            "toolkit predict models:/toolkit-claims@champion big.parquet -o predictions.jsonl --workers 2",
            "toolkit predict runs:/RUN_ID/model articles.jsonl -o out.jsonl --scheduler tcp://127.0.0.1:8786",
        ),
    )(predict_command)
