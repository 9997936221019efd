"""`toolkit runs ...`: list, compare and promote MLflow runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from toolkit.cli._util import Command, Group, Task, example
from toolkit.cli.model_cmd import TrackingOption

app = typer.Typer(cls=Group, help="List, compare and promote MLflow runs.", no_args_is_help=True)


class ScoreSplit(StrEnum):
    validation = "validation"
    test = "test"


QUALITY = ("f1", "accuracy", "precision", "recall")


def _number(value: float | None, best: float | None = None) -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return f"[bold]{text}[/bold]" if best is not None and value == best and value > 0 else text


def _best(name: str, values: list[float | None]) -> float | None:
    """The value to mark in a row of scores where higher is better (none for std, times and counts)."""
    known = [value for value in values if value is not None]
    scored = any(word in name for word in QUALITY) and not name.endswith((".std", "support"))
    return max(known) if scored and len(known) > 1 else None


def _started(run) -> str:  # noqa: ANN001 - a RunSummary
    return run.started.astimezone().strftime("%Y-%m-%d %H:%M") if run.started else ""


@app.command(
    "list",
    cls=Command,
    epilog=example("toolkit runs list", "toolkit runs list --task claims --limit 5 --wide"),
)
def list_command(
    task: Annotated[Task | None, typer.Option(help="Only this task.", show_default=False)] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many runs, newest first.")] = 20,
    candidates: Annotated[
        bool, typer.Option("--candidates", help="Also list the nested candidate runs of searches.")
    ] = False,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="One line per run with every column (start time, cv score), however wide."
        ),
    ] = False,
    tracking_uri: TrackingOption = None,
) -> None:
    """List runs, newest first, with their validation and test scores and the aliases that point at them.

    Fits 80 columns: the name goes under the run id, and the start time and cv score need --wide."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.tracking.registry import list_runs

    runs = list_runs(
        task.value if task else None, limit=limit, candidates=candidates, tracking_uri=tracking_uri
    )
    if not runs:
        typer.echo("no runs yet: train one with `toolkit train experiments/<name>.toml`")
        return
    scores = "validation, test: macro F1 (claims) or span F1 (entities)"
    if wide:
        table = Table(caption=f"{scores}; cv: the search's best")
        columns = ("run id", "name", "started", "validation", "test", "cv", "alias")
    else:
        table = Table(caption=f"{scores}; --wide for more", show_lines=True)
        columns = ("run id · name", "validation", "test", "alias")
    for column in columns:
        table.add_column(
            column,
            # A run id is copied into `runs compare` and `runs promote`: never break it across lines.
            no_wrap=wide or column in ("validation", "test"),
            overflow="fold",
            justify="right" if column in ("validation", "test", "cv") else "left",
            min_width=32 if column.startswith("run id") else None,
        )
    for run in runs:
        name = f"  ↳ {run.name}" if run.parent_run_id else run.name
        aliases = ", ".join(run.aliases)
        if wide:
            row = (run.run_id, name, _started(run), _number(run.validation), _number(run.test))
            table.add_row(*row, _number(run.cv), aliases)
        else:
            table.add_row(
                f"{run.run_id}\n[dim]{name}[/dim]", _number(run.validation), _number(run.test), aliases
            )
    Console().print(table, soft_wrap=wide)


@app.command(
    "compare",
    cls=Command,
    epilog=example(
        "toolkit runs compare bd5ec7358b244a70a85d528055c56ab8 f678b34211b5450eaea81de5d470159c --diff-only",
        "toolkit runs compare RUN_ID OTHER_RUN_ID --split test",
    ),
)
def compare_command(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids (see `toolkit runs list`).")],
    split: Annotated[
        ScoreSplit,
        typer.Option(help="Whose per-class F1 to show: choose a model on validation, report test."),
    ] = ScoreSplit.validation,
    diff_only: Annotated[bool, typer.Option("--diff-only", help="Show only the params that differ.")] = False,
    tracking_uri: TrackingOption = None,
) -> None:
    """Params, metrics and per-class F1 (validation, or test with --split test) of runs side by side."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.tracking.registry import compare_runs

    comparison = compare_runs(run_ids, split=split.value, diff_only=diff_only, tracking_uri=tracking_uri)
    headers = [f"{run.name}\n{run.run_id[:8]}" for run in comparison.runs]

    def table(title: str, first: str) -> Table:
        made = Table(title=title, title_justify="left")
        made.add_column(first, overflow="fold")
        for header in headers:
            made.add_column(header, overflow="fold")
        return made

    hidden = f", {comparison.hidden_params} identical hidden" if diff_only else ""
    params = table(f"Params ({len(comparison.params)}{hidden})", "param")
    for name, values in comparison.params:
        params.add_row(name, *(value if value is not None else "–" for value in values))
    metrics = table("Metrics", "metric")
    for name, values in comparison.metrics:
        best = _best(name, values)
        metrics.add_row(name, *(_number(value, best) for value in values))
    per_class = table(
        f"{comparison.split.capitalize()} F1 per class ({comparison.per_class_metric})", "class"
    )
    for label, values in comparison.per_class:
        best = _best("f1", values)
        per_class.add_row(label, *(_number(value, best) for value in values))
    console = Console()
    for part in (params, metrics, per_class):
        console.print(part)


@app.command(
    "promote",
    cls=Command,
    epilog=example(
        "toolkit runs promote f678b34211b5450eaea81de5d470159c --alias champion",
        "toolkit runs promote 851c00914427455a8664a4303fa0a9f0 --alias challenger",
    ),
)
def promote_command(
    run_id: Annotated[str, typer.Argument(help="The run whose model to promote.")],
    alias: Annotated[str, typer.Option(help="Alias to point at the registered version.")] = "champion",
    tracking_uri: TrackingOption = None,
) -> None:
    """Register a run's model under its task's name (toolkit-claims, toolkit-entities) and set an alias on it."""
    from toolkit.tracking.registry import promote

    result = promote(run_id, alias, tracking_uri=tracking_uri)
    state = "registered as" if result.created else "already registered as"
    moved = (
        f" (was v{result.previous_version})" if result.previous_version not in (None, result.version) else ""
    )
    typer.echo(
        f"run {result.run_id} {state} {result.name} v{result.version}; @{result.alias} → v{result.version}{moved}"
    )
    typer.echo(f"  use it as: {result.model_uri}")


@app.command(
    "select",
    cls=Command,
    epilog=example(
        "toolkit runs select --task claims",
        "toolkit runs select --task entities --metric validation.span_f1 --alias champion",
    ),
)
def select_command(
    task: Annotated[str, typer.Option(help="claims or entities.")],
    metric: Annotated[
        str | None,
        typer.Option(
            help="The score to choose by (default: the task's validation headline; never a test score)."
        ),
    ] = None,
    alias: Annotated[
        str, typer.Option(help="Alias to point at the chosen run's registered version.")
    ] = "champion",
    tracking_uri: TrackingOption = None,
) -> None:
    """Promote the best run of a task by a validation score, among the runs on the newest dataset version."""
    from toolkit.tracking.registry import select_best

    chosen = select_best(task, metric=metric, alias=alias, tracking_uri=tracking_uri)
    promotion = chosen.promotion
    typer.echo(
        f"chose {chosen.run.name} ({chosen.run.run_id}): {chosen.metric} {chosen.value:.3f}, best of "
        f"{chosen.considered} run{'s' if chosen.considered != 1 else ''} on dataset {chosen.dataset_version[:8]}"
    )
    typer.echo(f"  {promotion.name} v{promotion.version}; use it as: {promotion.model_uri}")
