"""Logging a fitted result to MLflow: one run with params, metrics, provenance, the dataset, the model, and
what a person reads besides numbers (confusion matrices, the classification report, the examples it got wrong);
with a search, one nested run per candidate. `train` is fitting followed by this."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.models.metrics import token_spans
from toolkit.project import GUIDELINES, SEED
from toolkit.tasks import TaskSpec
from toolkit.tracking.pages import COLUMNS, errors_html, run_description
from toolkit.training.fit import FitResult, fit
from toolkit.training.search import SearchOutcome, describe, param_text


@dataclass
class TrainResult:
    """The logged run: where to find it and what it scored."""

    run_id: str
    run_name: str
    experiment_name: str
    tracking_uri: str
    model_uri: str
    metrics: dict[str, float]
    data_version: str
    search: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)  # FitResult.source_summaries()
    skipped_sources: list[str] = field(default_factory=list)
    transfer: dict[str, Any] | None = None  # {"score": mean, "judges": [sources averaged]}


__all__ = [
    "reliability_figure",
    "TrainResult",
    "train",
    "log_fit",
    "log_evaluation",
    "log_candidates",
    "confusion_figure",
    "misclassified_rows",
]


def confusion_figure(y_true: list[str], y_pred: list[str], labels: list[str], title: str):  # noqa: ANN201
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(figsize=(1.1 * len(labels) + 3, 1.1 * len(labels) + 2.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, ax=axes, colorbar=False, xticks_rotation=45, cmap="Blues"
    )
    axes.set_title(title)
    figure.tight_layout()
    return figure


def _render(tokens: list[str], spans: set, scores: dict | None = None) -> str:
    def one(start: int, end: int, label: str) -> str:
        text = f"{label}: {' '.join(tokens[start:end])}"
        return f"{text} ({scores[start, end, label]:.2f})" if scores else text

    return "; ".join(one(*span) for span in sorted(spans))


def _confidences(task: TaskSpec, model: Any, rows: Any) -> list | None:
    """Per row: the probability of each class (claims), or the marginal of each token's tag (entities); None
    when the model gives neither."""
    if model is None:
        return None
    if task.sequence:
        tokens = [list(row["tokens"]) for row in rows]
        return model.predict_scores(tokens) if hasattr(model, "predict_scores") else None
    if not hasattr(model, "predict_proba"):
        return None
    import numpy as np

    texts = np.array([row["text"] for row in rows], dtype=str)
    classes = list(model.classes_)
    return [dict(zip(classes, map(float, row), strict=True)) for row in model.predict_proba(texts)]


def _error(row: dict, expected: str, predicted: str, probability: float | None) -> dict[str, Any]:
    return {
        "article_id": row["article_id"],
        "text": row["text"],
        "expected": expected,
        "predicted": predicted,
        "probability": probability,
    }


def misclassified_rows(
    task: TaskSpec, rows: Any, truth: list, predicted: list, model: Any = None
) -> list[dict[str, Any]]:
    """One row per sentence the model got wrong: the whole sentence, what it should have said, what it said, and
    how sure it was (`probability`): the probability of the predicted class, or for entities the lowest marginal
    of the predicted spans, each span's own score beside it in `predicted`. None when the model gives none."""
    confidences = _confidences(task, model, rows) or [None] * len(truth)
    wrong = []
    for row, expected, guessed, confidence in zip(rows, truth, predicted, confidences, strict=True):
        if not task.sequence:
            if expected != guessed:
                probability = None if confidence is None else round(confidence[guessed], 4)
                wrong.append(_error(row, expected, guessed, probability))
            continue
        gold, found = token_spans(expected), token_spans(list(guessed))
        if gold != found:
            scores = None
            if confidence is not None:
                scores = {(a, b, label): sum(confidence[a:b]) / (b - a) for a, b, label in found}
            probability = round(min(scores.values()), 4) if scores else None
            rendered = _render(row["tokens"], gold), _render(row["tokens"], found, scores)
            wrong.append(_error(row, *rendered, probability))
    return wrong


def reliability_figure(truth: list, probabilities: Any, classes: list[str], split: str, run_name: str = ""):  # noqa: ANN201
    """The reliability diagram of a claims model's top-label confidence: accuracy against confidence per bin, with
    the diagonal of perfect calibration and the bin counts; its ECE in the title (the metric `<split>.ece`)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from toolkit.models.metrics import expected_calibration_error

    ece, bins = expected_calibration_error(truth, probabilities, classes)
    filled = [b for b in bins if b["count"]]
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axes.bar(
        [(b["low"] + b["high"]) / 2 for b in filled], [b["accuracy"] for b in filled],
        width=[b["high"] - b["low"] for b in filled], alpha=0.6, edgecolor="black", label="accuracy in the bin",
    )  # fmt: skip
    for b in filled:
        axes.annotate(
            str(b["count"]), ((b["low"] + b["high"]) / 2, b["accuracy"]), ha="center", va="bottom", size=8
        )
    axes.set_xlim(0, 1), axes.set_ylim(0, 1.05)
    axes.set_xlabel("confidence of the predicted status"), axes.set_ylabel("share right")
    axes.set_title(
        f"{run_name}\n{split} split: ECE {ece:.3f}" if run_name else f"{split} split: ECE {ece:.3f}"
    )
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure


def log_evaluation(
    task: TaskSpec,
    scores: dict[str, dict[str, float]],
    predictions: dict[str, tuple],
    labels: list[str],
    *,
    run_name: str = "",
    model: Any = None,
) -> None:
    """Log, per split: a confusion matrix PNG titled with the run and split, the report as JSON, and the
    misclassified sentences as a table (with `model`, how sure it was of each)."""
    import mlflow
    import pandas as pd
    from matplotlib import pyplot as plt

    mlflow.log_dict(scores, "classification_report.json")
    for split, (rows, truth, predicted) in predictions.items():
        # Entities are scored on spans; their matrix shows which types tokens get confused with.
        flat_true, flat_pred, axis = task.flat(truth, predicted, labels)
        unit = "tokens" if task.sequence else "sentences"
        title = f"{run_name or task.name}\n{split} split: {len(flat_true)} {unit}"
        figure = confusion_figure(flat_true, flat_pred, axis, title)
        mlflow.log_figure(figure, f"confusion_matrix_{split}.png")
        plt.close(figure)
        wrong = misclassified_rows(task, rows, truth, predicted, model)
        mlflow.log_table(pd.DataFrame(wrong, columns=COLUMNS), f"misclassified_{split}.json")
        # The UI's table viewer gives every column the same width (a sentence shows ~15 characters): the same
        # rows as a page that wraps whole sentences.
        mlflow.log_text(
            errors_html(wrong, f"{run_name or task.name}: {split} split"), f"misclassified_{split}.html"
        )
        if not task.sequence and hasattr(model, "predict_proba") and len(rows):
            figure = reliability_figure(
                truth, model.predict_proba(rows["text"]), list(model.classes_), split, run_name
            )
            mlflow.log_figure(figure, f"reliability_{split}.png")
            plt.close(figure)


def train(
    experiment_path: str | Path,
    data_dir: str | Path | None = None,
    *,
    seed: int = SEED,
    tracking_uri: str | None = None,
    n_jobs: int = 1,
    judges: str | Path | None = None,
) -> TrainResult:
    """Fit, evaluate on validation, test and the judges' validation splits (`toolkit.training.fit`), and log one
    MLflow run of it all."""
    from toolkit.tracking import store

    store.use_tracking(tracking_uri)  # an unusable store fails now, not after minutes of fitting
    return log_fit(fit(experiment_path, data_dir, seed=seed, n_jobs=n_jobs, judges=judges), tracking_uri)


def log_fit(result: FitResult, tracking_uri: str | None = None) -> TrainResult:
    """One run with the result's params, metrics, provenance tags, artifacts and model; candidates nested."""
    import mlflow

    from toolkit.tracking import store

    experiment, task, outcome = result.experiment, result.task, result.search
    uri = store.use_tracking(tracking_uri)
    experiment_name = f"toolkit-{experiment.task}"
    experiment_id = store.experiment_id_for(
        experiment_name, uri, store.experiment_tags(task.name, task.headline)
    )
    params = result.params
    tags = {"task": experiment.task, "estimator": experiment.estimator, "experiment.name": experiment.name}
    # A candidate's params: the file's, without its [search] table, with the candidate's own values.
    candidate_base = {
        key: value for key, value in params.items() if not key.startswith(("search.", "model."))
    }
    candidate_base.update({key: value for key, value in flatten_model(experiment).items()})
    with mlflow.start_run(experiment_id=experiment_id, run_name=result.run_name) as run:
        mlflow.set_tags(
            {
                **tags,
                "experiment_file": str(experiment.path),
                "config.sha256": experiment.config_hash,
                "mlflow.note.content": run_description(result),
                **store.provenance_tags(result.manifest, GUIDELINES),
                **({"search.role": "parent", "search.n_jobs": str(outcome.n_jobs)} if outcome else {}),
            }
        )
        mlflow.log_params(store.run_params(params))
        mlflow.log_metrics(result.metrics)
        mlflow.log_text(experiment.source, "experiment.toml")
        mlflow.log_dict(result.manifest, "dataset_manifest.json")
        log_evaluation(
            task,
            result.scores,
            result.predictions,
            result.labels,
            run_name=result.run_name,
            model=result.model,
        )
        _log_dataset(result)
        _log_model(result)
        search = {}
        if outcome is not None:
            children = log_candidates(outcome, run.info.run_id, experiment_id, candidate_base, tags)
            search = {
                "candidates": len(children),
                "child_run_ids": children,
                "best_params": outcome.best_params,
                "scoring": outcome.spec.scoring,
                "cv_mean": outcome.best.mean,
                "cv_std": outcome.best.std,
            }
    return TrainResult(
        run_id=run.info.run_id,
        run_name=result.run_name,
        experiment_name=experiment_name,
        tracking_uri=uri,
        model_uri=f"runs:/{run.info.run_id}/model",
        metrics=result.metrics,
        data_version=result.data_version,
        search=search,
        sources=result.source_summaries(),
        skipped_sources=result.skipped_sources,
        transfer=(
            {"score": result.metrics[f"validation.transfer.{task.headline}"], "judges": result.judges}
            if result.judges
            else None
        ),
    )


def flatten_model(experiment: Any) -> dict[str, str]:
    """The experiment file's own [model] values, as params (a candidate overrides some of them)."""
    from toolkit.training.experiments import flatten

    return {key: value for key, value in flatten(experiment.config).items() if key.startswith("model.")}


def _log_dataset(result: FitResult) -> None:
    """The splits as run inputs; MLflow's own digest is partial, so our full content hash rides along as a tag."""
    import warnings

    import mlflow

    manifest = result.manifest
    with warnings.catch_warnings():
        # Schema inference hints that int columns cannot hold missing values; our offsets never miss.
        warnings.filterwarnings(
            "ignore", message="Hint: Inferred schema contains integer", category=UserWarning
        )
        for split, context in (("train", "training"), ("validation", "validation"), ("test", "testing")):
            if split in result.dataset:
                source = mlflow.data.from_huggingface(
                    result.dataset[split],
                    path=str(result.data_path.resolve()),
                    name=f"{result.task.name}-{manifest['version']}-{split}",
                    digest=manifest["content_hash"][:32],
                )
                tags = {"content_hash": manifest["content_hash"], "split": split}
                mlflow.log_input(source, context=context, tags=tags)


def _log_model(result: FitResult) -> Any:
    import mlflow
    from mlflow.models import infer_signature

    from toolkit.models import SKOPS_TRUSTED_TYPES

    model, task, train_split = result.model, result.task, result.dataset["train"]
    X_sample, _ = task.xy(train_split.select(range(min(3, len(train_split)))))
    if task.sequence:
        # Token lists: one column of string arrays, the way pandas (and so MLflow's pyfunc) carries them.
        import pandas as pd

        input_example = pd.DataFrame({"tokens": [list(tokens) for tokens in X_sample]})
        signature = infer_signature(
            input_example, pd.DataFrame({"tags": [list(t) for t in model.predict(X_sample)]})
        )
    else:
        input_example = X_sample
        signature = infer_signature(X_sample, model.predict(X_sample))
    return mlflow.sklearn.log_model(
        model,
        name="model",
        serialization_format="skops",
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        signature=signature,
        input_example=input_example,
        pip_requirements=_requirements(),
        metadata={
            "task": task.name,
            "dataset_version": result.data_version,
            "estimator": result.experiment.estimator,
        },
    )


def _requirements() -> list[str]:
    """Pinned from what is installed: MLflow's own inference takes seconds per model and guesses."""
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "numpy", "scipy", "skops")]


def log_candidates(
    outcome: SearchOutcome, parent_run_id: str, experiment_id: str, base_params: dict[str, str], tags: dict
) -> list[str]:
    """One finished child run per candidate under `parent_run_id`: its full model params and its CV scores."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    from toolkit.tracking import store

    client = MlflowClient()
    now = int(time.time() * 1000)
    key = f"cv.{outcome.spec.scoring}"
    run_ids = []
    for candidate in outcome.candidates:
        params = {
            **base_params,
            **{f"model.{name}": param_text(value) for name, value in candidate.params.items()},
        }
        params["search.candidate"] = candidate.index
        metrics = {
            f"{key}.mean": candidate.mean,
            f"{key}.std": candidate.std,
            "cv.rank": float(candidate.rank),
        }
        metrics["cv.fit_seconds"] = candidate.fit_seconds
        run = client.create_run(
            experiment_id,
            run_name=f"candidate {candidate.index} · {describe(candidate.params)}"[:240],
            tags={**tags, "mlflow.parentRunId": parent_run_id, "search.role": "candidate"},
        )
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(name, value, now, 0) for name, value in metrics.items()]
            + [Metric(key, score, now, fold) for fold, score in enumerate(candidate.folds)],
            params=[Param(name, value) for name, value in store.run_params(params).items()],
        )
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)
    return run_ids
