"""`toolkit runs ...`: list, compare and promote MLflow runs."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.cli.model_cmd import TrackingOption

app = typer.Typer(help="List, compare and promote MLflow runs.", no_args_is_help=True)

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


@app.command("list")
def list_command(
    task: Annotated[str | None, typer.Option(help="Only this task: claims or entities.")] = None,
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    candidates: Annotated[
        bool, typer.Option("--candidates", help="Also list the nested candidate runs of searches.")
    ] = False,
    tracking_uri: TrackingOption = None,
) -> None:
    """List runs, newest first, with their validation and test scores and the aliases that point at them."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.tracking.registry import list_runs

    runs = list_runs(task, limit=limit, candidates=candidates, tracking_uri=tracking_uri)
    if not runs:
        typer.echo("no runs yet: train one with `toolkit train experiments/<name>.toml`")
        return
    table = Table(caption="validation, test: macro F1 (claims) or span F1 (entities); cv: the search's best")
    for column in ("run id", "name", "started", "validation", "test", "cv", "alias"):
        table.add_column(
            column,
            overflow="fold",
            # A run id is copied into `runs compare` and `runs promote`: never break it across lines.
            no_wrap=column == "run id",
            justify="right" if column in ("validation", "test", "cv") else "left",
        )
    for run in runs:
        table.add_row(
            run.run_id,
            f"  ↳ {run.name}" if run.parent_run_id else run.name,
            run.started.astimezone().strftime("%Y-%m-%d %H:%M") if run.started else "",
            _number(run.validation),
            _number(run.test),
            _number(run.cv),
            ", ".join(run.aliases),
        )
    Console().print(table)


@app.command("compare")
def compare_command(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids (see `toolkit runs list`).")],
    diff_only: Annotated[bool, typer.Option("--diff-only", help="Show only the params that differ.")] = False,
    tracking_uri: TrackingOption = None,
) -> None:
    """Params, metrics and per-class test F1 of runs side by side."""
    from rich.console import Console
    from rich.table import Table

    from toolkit.tracking.registry import compare_runs

    comparison = compare_runs(run_ids, diff_only=diff_only, tracking_uri=tracking_uri)
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
    per_class = table(f"Test F1 per class ({comparison.per_class_metric})", "class")
    for label, values in comparison.per_class:
        best = _best("f1", values)
        per_class.add_row(label, *(_number(value, best) for value in values))
    console = Console()
    for part in (params, metrics, per_class):
        console.print(part)


@app.command("promote")
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
