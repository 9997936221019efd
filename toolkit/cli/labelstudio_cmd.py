"""`toolkit labelstudio init`, `toolkit push`, `toolkit pull`: the Label Studio round trip."""

from __future__ import annotations

from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import LABEL_STUDIO_SETTINGS, Command, Group, example
from toolkit.project import SCHEMA
from toolkit.text.words import counted

app = typer.Typer(
    cls=Group,
    help=f"Set up Label Studio projects.\n\n{LABEL_STUDIO_SETTINGS}",
    no_args_is_help=True,
)


class Strategy(StrEnum):
    uncertainty = "uncertainty"
    margin = "margin"
    diverse = "diverse"


ProjectOption = Annotated[str, typer.Option("--project", "-p", help="Label Studio project title.")]


@app.command(
    "init",
    cls=Command,
    epilog=example(
        'toolkit labelstudio init --project "News claims"',
        'toolkit labelstudio init --project "News claims" --guidelines annotations/GUIDELINES.md',
    ),
)
def init_command(
    project: ProjectOption,
    schema: Annotated[
        Path,
        typer.Option(help="Label schema to build the labelling config from.", exists=True, dir_okay=False),
    ] = SCHEMA,
    guidelines: Annotated[
        Path | None,
        typer.Option(
            help="Annotator guidelines (Markdown); default: the schema's.", exists=True, dir_okay=False
        ),
    ] = None,
) -> None:
    """Create the project from the schema's labelling config and the guidelines, or update it (refusing a
    config change that would orphan labels already used in annotations).

    Server and API key: see `toolkit labelstudio --help`."""
    from toolkit.labelstudio.project import init_project

    result = init_project(project, schema_path=schema, guidelines=guidelines)
    instructions = (
        f"guidelines from {result.guidelines}" if result.guidelines else "short default instructions"
    )
    changes = [
        name
        for name, changed in (
            ("config", result.config_changed),
            ("instructions", result.instructions_changed),
        )
        if changed
    ]
    detail = "" if result.created or not changes else f" ({' and '.join(changes)})"
    typer.echo(
        f"{result.action} project {project!r}{detail}, id {result.project_id}, {instructions}: {result.url}"
    )


@contextmanager
def _progress_bar(enabled: bool):
    """A rich progress bar on stderr, drawn only on a terminal; yields the callback the library calls."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("importing", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        yield update


def push_command(
    ctx: typer.Context,
    articles: Annotated[
        Path, typer.Argument(help="Articles JSONL from `toolkit ingest`.", exists=True, dir_okay=False)
    ],
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Label Studio project title (see `labelstudio init`)."),
    ] = None,
    predictions: Annotated[
        list[str] | None,
        typer.Option(
            "--predictions", help="Pre-annotate with this MLflow model (repeat for entities + claims)."
        ),
    ] = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="Pre-annotate with rules (money, %, dates, cues).")
    ] = False,
    select: Annotated[
        Strategy | None,
        typer.Option(
            "--select",
            help="Active learning: push the articles the claims model is least sure about first, skipping any "
            "the project holds; the score goes in data.al_score.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=0, help="Push only the first N articles (with --select: the N least sure)."),
    ] = None,
    limit_sentences: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="With --select: push the least sure articles until they hold N sentences (the last one may go "
            "past N). The strategies rank short articles first, so this is the budget to use.",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Tasks per import request.")] = 1000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the tasks JSON instead of importing.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="With --dry-run: where to write the tasks JSON.")
    ] = None,
) -> None:
    """Push articles to Label Studio as tasks with pre-annotations; re-running creates no duplicate task.

    Server and API key: see `toolkit labelstudio --help`."""
    from functools import partial

    from toolkit.labelstudio.push import push_tasks
    from toolkit.predict import active_selector, pre_annotations

    if dry_run and output is None:
        ctx.fail("--dry-run needs --output tasks.json (the file to import through the UI)")
    if output is not None and not dry_run:
        ctx.fail("--output goes with --dry-run (without it, tasks go to the server)")
    if not dry_run and not project:
        ctx.fail("--project NAME is required (or use --dry-run --output tasks.json)")
    if rules and predictions:
        ctx.fail("choose one source of pre-annotations: --predictions MODEL_URI or --rules")
    if select is not None and not predictions:
        ctx.fail("--select ranks by a claims model: add --predictions models:/toolkit-claims@champion")
    if limit_sentences is not None and select is None:
        ctx.fail(
            "--limit-sentences is a budget for --select (without it, --limit N takes the first N articles)"
        )
    with _progress_bar(not dry_run) as progress:
        result = push_tasks(
            articles,
            project or "",
            predictor=partial(pre_annotations, model_uris=predictions or (), rules=rules),
            selector=active_selector(predictions or (), select.value, limit_sentences) if select else None,
            limit=limit,
            batch_size=batch_size,
            output=output if dry_run else None,
            progress=progress,
        )
    pre = (
        f"{result.model_version} pre-annotations ({result.spans} spans)"
        if result.model_version
        else "no pre-annotations"
    )
    if result.dry_run:
        if select is not None:
            pre += f", chosen by {select.value} (data.al_score)"
        typer.echo(
            f"wrote {counted(result.articles, 'task')} with {pre} to {result.output}: import it in Label Studio's UI"
        )
        return
    added = ""
    if result.model_version and result.existing:
        added = f" ({result.predictions_added} of them given these pre-annotations now)"
    changed = f", {result.changed} of them for changed articles" if result.changed else ""
    if select is not None:
        pre += f"; chosen by {select.value} (data.al_score), {result.skipped} already in the project skipped"
    retried = f", {result.retries} retries" if result.retries else ""
    typer.echo(
        f"pushed {counted(result.articles, 'article')} to {project!r} (project {result.project_id}): "
        f"{counted(result.created, 'new task')}{changed}, {result.existing} already there{added}; {pre}; "
        f"{counted(result.batches, 'request')}{retried} in {result.seconds:.1f} s"
    )


def pull_command(
    ctx: typer.Context,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Fetch this project's export from Label Studio.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Use an export downloaded from the UI instead.", exists=True, dir_okay=False
        ),
    ] = None,
    exports_dir: Annotated[Path, typer.Option(help="Where snapshots are kept.")] = Path(
        "annotations/exports"
    ),
) -> None:
    """Save the project's full JSON export as a new snapshot (never overwriting one) and report its checks.

    Server and API key: see `toolkit labelstudio --help`."""
    from toolkit.labelstudio.pull import pull

    if project is None and file is None:
        ctx.fail("give --project NAME (fetch from Label Studio) or --file EXPORT.json (a downloaded export)")

    result = pull(project, file=file, exports_dir=exports_dir)
    counts = result.report.summary()
    if result.adjudicated:
        counts += f", {result.adjudicated} adjudicated in the review project (preferred over the annotators')"
    if result.reviewed:
        counts += (
            f", {counted(result.reviewed, 'suspect decision')} from the review project written into their "
            "articles (preferred over the annotators')"
        )
    if result.written:
        typer.echo(f"pulled {result.project!r} into {result.path}: {counts}")
    elif not result.report.tasks:
        typer.echo(f"pulled {result.project!r}: no task has an annotation yet, nothing written")
    else:
        typer.echo(f"pulled {result.project!r}: unchanged since {result.latest}, nothing written: {counts}")


PUSH_EXAMPLES = (
    'toolkit push articles.jsonl --project "News claims" --rules',
    'toolkit push articles.jsonl -p "News claims" --predictions models:/toolkit-claims@champion',
    "toolkit push articles.jsonl --rules --dry-run --output tasks.json",
    'toolkit push articles.jsonl -p "News claims" --predictions models:/toolkit-claims@champion --select margin --limit-sentences 500',
)


def register(root: typer.Typer) -> None:
    """Add the top-level `push` and `pull` commands, and `export`, the old name of `push`."""
    root.command("push", cls=Command, epilog=example(*PUSH_EXAMPLES))(push_command)
    # `export` was push's first name: kept for scripts, same behaviour, no longer listed.
    root.command(
        "export",
        cls=Command,
        hidden=True,
        help="Deprecated name of `toolkit push` (same options, same behaviour).",
        epilog=example(*PUSH_EXAMPLES),
    )(push_command)
    root.command(
        "pull",
        cls=Command,
        epilog=example('toolkit pull --project "News claims"', "toolkit pull --file export-from-the-ui.json"),
    )(pull_command)


users_app = typer.Typer(
    cls=Group, help="Annotator accounts on the Label Studio server.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


@users_app.command(
    "add",
    cls=Command,
    epilog=example(
        "toolkit labelstudio users add marta@example.org",
    ),
)
def users_add_command(
    email: Annotated[str, typer.Argument(help="The annotator's email; also their login.")],
) -> None:
    """Add an annotator to the organisation of the API key's owner, with a password asked twice (hidden, never
    printed; a script can give it twice on stdin). An existing member is left unchanged.

    Server and API key: see `toolkit labelstudio --help`."""
    from toolkit.labelstudio.users import add_user

    password = typer.prompt("Password for the new user", hide_input=True, confirmation_prompt=True)
    added = add_user(email, password)
    state = (
        f"added {added.email} (user {added.id})"
        if added.created
        else f"{added.email} is already a member (user {added.id}), unchanged"
    )
    typer.echo(f"{state}; they log in at {added.url}")
