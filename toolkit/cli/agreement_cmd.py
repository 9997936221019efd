"""`toolkit agreement`: how far annotators agree on the tasks they both annotated, and where they differ."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, example
from toolkit.project import SCHEMA


def agreement_command(
    ctx: typer.Context,
    exports: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", "-f", help="Label Studio JSON export (repeatable).", exists=True, dir_okay=False
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", "-p", help="Measure this Label Studio project's current annotations instead."
        ),
    ] = None,
    adjudicate: Annotated[
        bool,
        typer.Option(
            "--adjudicate",
            help="Send each disagreeing article to the project '<NAME> · review', both annotations shown, "
            "for a lead to settle; `toolkit pull` then prefers the lead's decision. Needs --project.",
        ),
    ] = False,
    log: Annotated[
        bool,
        typer.Option("--log", help="Log the figures as a run of the MLflow experiment toolkit-agreement."),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write every figure and disagreement as JSON.")
    ] = None,
    show: Annotated[int, typer.Option(min=0, help="How many disagreements to print.")] = 10,
    schema: Annotated[Path, typer.Option(help="The label schema.")] = SCHEMA,
    tracking_uri: Annotated[
        str | None, typer.Option(help="Where --log writes (default: MLFLOW_TRACKING_URI, else ./mlflow.db).")
    ] = None,
) -> None:
    """Cohen's kappa per annotator pair, Krippendorff's alpha, per-class kappa and entity span F1.

    Server and API key (--project): see `toolkit labelstudio --help`."""
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from toolkit.dataset.agreement import agreement, project_agreement
    from toolkit.io import write_json_atomic

    if (project is None) == (not exports):
        ctx.fail("give --file EXPORT (repeatable) or --project NAME, not both")
    if adjudicate and project is None:
        ctx.fail("--adjudicate needs --project NAME (the review tasks go to '<NAME> · review')")
    measured = None
    if project is not None:
        measured = project_agreement(project, adjudicate=adjudicate, schema_path=schema)
        report = measured.report
    else:
        report = agreement(exports, schema_path=schema)
    console = Console()
    console.print(
        f"{report.tasks} tasks annotated twice or more, {report.sentences} sentences: "
        f"Krippendorff's alpha {report.alpha:.3f} (claim status), entity span F1 {report.entity_f1:.3f}"
    )
    pairs = Table("annotators", "tasks", "sentences", "agree", "kappa", "entities (a/b/same)", "entity F1")
    for pair in report.pairs:
        a, b, same = pair.entities
        pairs.add_row(
            " × ".join(pair.annotators),
            str(pair.tasks),
            str(pair.sentences),
            f"{pair.observed:.3f}",
            f"{pair.kappa:.3f}",
            f"{a}/{b}/{same}",
            f"{pair.entity_f1:.3f}",
        )
    console.print(pairs)
    per_class = Table("claim status", "kappa (one vs rest)")
    for label, kappa in report.per_class_kappa.items():
        per_class.add_row(label, f"{kappa:.3f}")
    per_type = Table("entity type", "span F1")
    for label, f1 in report.per_type_f1.items():
        per_type.add_row(label, f"{f1:.3f}")
    console.print(per_class, per_type)
    for item in report.disagreements[:show]:
        statuses = ", ".join(f"{who}: {status}" for who, status in item.statuses.items())
        console.print(
            f"[bold]{item.article_id}[/bold] #{item.sentence} ({statuses}) {item.text[:120]}", markup=True
        )
        for who, spans in item.entities.items():
            console.print(f"    annotator {who} lacks: {'; '.join(spans)}", markup=False)
    if len(report.disagreements) > show:
        console.print(f"(+ {len(report.disagreements) - show} more disagreements; --show N or --output FILE)")
    if output is not None:
        write_json_atomic(output, asdict(report))
        console.print(f"wrote the report to {output}", markup=False)
    if measured is not None and measured.review is not None:
        from toolkit.text.words import counted

        review = measured.review
        console.print(
            f"{'created ' if review.created else ''}review project {review.project!r}: "
            f"{counted(review.sent, 'new adjudication task')}, {review.already} already there: {review.url}",
            markup=False,
            soft_wrap=True,
        )
    if log:
        from toolkit.tracking.agreement import log_agreement

        source = (
            (project, f"sha256:{measured.digest}")
            if measured is not None
            else (", ".join(str(path.parent.name) for path in exports), ", ".join(map(str, exports)))
        )
        run = log_agreement(report, project=source[0], snapshot=source[1], tracking_uri=tracking_uri)
        console.print(
            f"logged {run.metrics} figures as run {run.run_id} in {run.experiment} ({run.tracking_uri})",
            markup=False,
            soft_wrap=True,
        )


def register(root: typer.Typer) -> None:
    root.command(
        "agreement",
        cls=Command,
        epilog=example(
            "toolkit agreement --file annotations/exports/wikinews/2026-12-01T073000Z.json -o agreement.json",
            'toolkit agreement --project "News claims" --log --adjudicate',
        ),
    )(agreement_command)
