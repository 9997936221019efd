"""`toolkit train`, `toolkit evaluate`: fit and score models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, Split, example
from toolkit.project import PUBLIC_DATA, SEED

TrackingOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri", help="MLflow tracking URI; default $MLFLOW_TRACKING_URI, else ./mlflow.db."
    ),
]


def _not_zero(value: int) -> int:
    if value == 0:
        raise typer.BadParameter("0 jobs would fit nothing: give a number of jobs, or -1 for one per core")
    return value


def train_command(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (TOML).", exists=True, dir_okay=False)],
    data: Annotated[
        Path | None, typer.Option("--data", help="Dataset directory; default: the experiment's.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the estimator's randomness.")] = SEED,
    tracking_uri: TrackingOption = None,
    n_jobs: Annotated[
        int,
        typer.Option(
            "--n-jobs",
            help="Candidates a \\[search] fits at once; -1: one per core.",
            callback=_not_zero,
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            envvar="DASK_SCHEDULER_ADDRESS",
            help="Fit a \\[search]'s candidates on the Dask cluster of this scheduler (tcp://HOST:PORT); "
            "--n-jobs then defaults to -1 (as many as the cluster takes).",
            show_default=False,
        ),
    ] = None,
    judges: Annotated[
        Path,
        typer.Option(
            "--judges",
            help="Imported public corpora whose validation splits score every run (validation.transfer.*, "
            "what `toolkit runs select` chooses by); absent ones are left out.",
        ),
    ] = PUBLIC_DATA,
) -> None:
    """Fit the model an experiment file describes, evaluate it, and log one MLflow run."""
    from toolkit.tracking.log import train
    from toolkit.training.search import on_dask

    if scheduler and n_jobs == 1:
        n_jobs = -1  # joblib sends one job at a time to the cluster otherwise
    with on_dask(scheduler):
        result = train(experiment, data, seed=seed, tracking_uri=tracking_uri, n_jobs=n_jobs, judges=judges)
    shown = ("test.macro_f1", "test.span_f1", "validation.macro_f1", "validation.span_f1")
    headline = {k: v for k, v in result.metrics.items() if k in shown}
    scores = ", ".join(f"{name} {value:.3f}" for name, value in sorted(headline.items()))
    typer.echo(f"run {result.run_name} ({result.run_id}) in {result.experiment_name}: {scores}")
    typer.echo(f"  model: {result.model_uri}")
    for source in result.sources:
        score = "" if source["validation"] is None else f", its validation {source['validation']:.3f}"
        typer.echo(
            f"  mixed in: {source['name']} ({source['rows']:,} rows, weight {source['weight']:g}{score})"
        )
    if result.skipped_sources:
        typer.echo(f"  skipped (absent): {', '.join(result.skipped_sources)}")
    if result.transfer is not None:
        typer.echo(
            f"  transfer: {result.transfer['score']:.3f}, the mean over {', '.join(result.transfer['judges'])}"
        )
    if result.search:
        found = result.search
        best = ", ".join(f"{key}={value}" for key, value in sorted(found["best_params"].items()))
        typer.echo(
            f"  search: {found['candidates']} candidates (nested runs), best {best}: "
            f"cv {found['scoring']} {found['cv_mean']:.3f} ± {found['cv_std']:.3f}"
        )


def evaluate_command(
    model_uri: Annotated[str, typer.Argument(help="runs:/ID/model, models:/NAME@ALIAS, ...")],
    data: Annotated[
        Path, typer.Argument(help="Dataset directory (built or imported).", exists=True, file_okay=False)
    ],
    split: Annotated[Split, typer.Option(help="Split to score.")] = Split.validation,
    positive: Annotated[str | None, typer.Option(help="Report the F1 of this class as positive_f1.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the metrics as JSON.")
    ] = None,
) -> None:
    """Score a model on a dataset split: span F1 for entities, per-class and macro F1 for sentence labels."""
    from toolkit.tracking.registry import load_model
    from toolkit.training.evaluate import evaluate_model

    loaded = load_model(model_uri)
    metrics = evaluate_model(
        loaded.model,
        loaded.task,
        data,
        split=split.value,
        positive=positive,
        output=output,
        model_name=model_uri,
    )
    headline = [name for name in ("span_f1", "macro_f1", "positive_f1", "accuracy") if name in metrics]
    typer.echo(json.dumps({name: round(metrics[name], 4) for name in headline}))
    prefix = "span_f1." if "span_f1" in metrics else "f1."
    per_class = {
        name.removeprefix(prefix): value for name, value in metrics.items() if name.startswith(prefix)
    }
    typer.echo(
        "F1 per class: " + ", ".join(f"{label} {value:.3f}" for label, value in sorted(per_class.items()))
    )
    if output:
        typer.echo(f"wrote {len(metrics)} metrics to {output}")


def register(root: typer.Typer) -> None:
    """Add the top-level `train` and `evaluate` commands."""
    root.command(
        "train",
        cls=Command,
        epilog=example(
            "toolkit train experiments/claims-svm-cues.toml",
            "toolkit train experiments/claims-logreg.toml --data data/news --seed 7 --n-jobs -1",
            "toolkit train experiments/claims-logreg.toml --scheduler tcp://127.0.0.1:8786",
        ),
    )(train_command)
    root.command(
        "evaluate",
        cls=Command,
        epilog=example(
            "toolkit evaluate models:/toolkit-claims@champion data/sample --split test",
            "toolkit evaluate runs:/RUN_ID/model data/conll --split validation -o metrics.json",
        ),
    )(evaluate_command)
