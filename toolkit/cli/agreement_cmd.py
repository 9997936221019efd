"""`toolkit agreement`: how far annotators agree on the tasks they both annotated, and where they differ."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, example
from toolkit.project import SCHEMA


def agreement_command(
    exports: Annotated[
        list[Path],
        typer.Option(
            "--file", "-f", help="Label Studio JSON export (repeatable).", exists=True, dir_okay=False
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write every figure and disagreement as JSON.")
    ] = None,
    show: Annotated[int, typer.Option(min=0, help="How many disagreements to print.")] = 10,
    schema: Annotated[Path, typer.Option(help="The label schema.")] = SCHEMA,
) -> None:
    """Cohen's kappa per annotator pair, Krippendorff's alpha, per-class kappa and entity span F1."""
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from toolkit.dataset.agreement import agreement
    from toolkit.io import write_json_atomic

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


def register(root: typer.Typer) -> None:
    root.command(
        "agreement",
        cls=Command,
        epilog=example(
            "toolkit agreement --file annotations/exports/wikinews/2026-11-30T220000Z.json -o agreement.json"
        ),
    )(agreement_command)
