"""`toolkit review`: the claim labels or entity spans a model trained on the other articles disagrees with most
confidently."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, example
from toolkit.project import DATA, SEED


def review_command(
    experiment: Annotated[
        Path,
        typer.Argument(
            help="A claims or entities experiment file: its model gives the probabilities.",
            exists=True,
            dir_okay=False,
        ),
    ],
    data: Annotated[
        Path, typer.Option("--data", help="Dataset directory.", exists=True, file_okay=False)
    ] = DATA,
    limit: Annotated[int, typer.Option(min=1, help="How many suspects to print.")] = 20,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds, grouped by article.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds and the model.")] = SEED,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write every suspect as JSONL.")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="Also send the first --limit suspects to the Label Studio project '<NAME> · review', the "
            "suggested status or spans as a prediction, the reason in the task data; `toolkit pull` brings the "
            "lead's decisions back.",
        ),
    ] = None,
) -> None:
    """List probable label errors in a claims or entities dataset (confident learning on out-of-fold
    probabilities): wrong statuses, or missing, extra, mistyped and misplaced entity spans.

    Server and API key (--project): see `toolkit labelstudio --help`."""
    from dataclasses import asdict

    from toolkit.io import write_jsonl_atomic
    from toolkit.training.review import review

    findings, reviewed = review(data, experiment, folds=folds, seed=seed)
    typer.echo(
        f"{len(findings)} suspects among {reviewed} sentences (train and validation), most certain first:"
    )
    for finding in findings[:limit]:
        suspect = finding.suspect
        typer.echo(
            f"  {finding.sentence_id}  {finding.given} → {finding.suggested} "
            f"({suspect.given_probability:.2f} vs {suspect.suggested_probability:.2f})  {finding.text[:100]}"
        )
    if output is not None:
        write_jsonl_atomic(output, ({**asdict(f), "margin": f.suspect.margin} for f in findings))
        typer.echo(f"wrote {len(findings)} suspects to {output}")
    if project is not None:
        from toolkit.labelstudio.suspects import send_suspects
        from toolkit.text.words import counted

        sent = send_suspects(project, findings[:limit])
        typer.echo(
            f"{'created ' if sent.created else ''}review project {sent.project!r}: "
            f"{counted(sent.sent, 'new suspect task')}, {sent.already} already there: {sent.url}"
        )


def register(root: typer.Typer) -> None:
    root.command(
        "review",
        cls=Command,
        epilog=example(
            "toolkit review experiments/claims-logreg.toml --data data/corpus --limit 10",
            "toolkit review experiments/claims-svm-cues.toml -o suspects.jsonl",
            'toolkit review experiments/entities-crf.toml --limit 50 --project "News entities"',
            'toolkit review experiments/claims-logreg.toml --limit 50 --project "News claims"',
        ),
    )(review_command)
