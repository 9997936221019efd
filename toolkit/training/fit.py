"""`toolkit train`: fit the model an experiment file describes, score it on validation and test, log one run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.training.experiments import Experiment, build_estimator, flatten, load_experiment

__all__ = ["TrainResult", "train", "task_data", "score_split"]

DEFAULT_DATA = Path("data/sample")
GUIDELINES = Path("annotations/GUIDELINES.md")
# The parameter that tells an estimator's variants apart in a run name: ClaimClassifier(linear_svm).
VARIANT_PARAM = {"ClaimClassifier": "classifier", "EntityTagger": "feature_set"}


@dataclass
class TrainResult:
    run_id: str
    run_name: str
    experiment_name: str
    tracking_uri: str
    model_uri: str
    metrics: dict[str, float]
    data_version: str
    search: dict[str, Any] = field(default_factory=dict)


def task_data(dataset: Any, task: str) -> tuple[Any, list]:
    """(X, y) of one split in the shape our estimators take: sentences and labels, or tokens and BIO tags."""
    import numpy as np

    if task == "claims":
        names = dataset.features["label"].names
        return np.array(dataset["text"], dtype=str), [names[label] for label in dataset["label"]]
    names = dataset.features["tags"].feature.names
    return list(dataset["tokens"]), [[names[tag] for tag in tags] for tags in dataset["tags"]]


def score_split(model: Any, task: str, X: Any, y: list, labels: list[str], positive: str | None = None):  # noqa: ANN201
    """(metrics, predictions) of a fitted model on one split."""
    from toolkit.models.metrics import classification_metrics, span_metrics

    predictions = list(model.predict(X))
    if task == "claims":
        return classification_metrics(y, predictions, labels, positive=positive), predictions
    return span_metrics(y, [list(tags) for tags in predictions]), predictions


def run_name(experiment: Experiment, model: Any, outcome: Any = None) -> str:
    """`claims · ClaimClassifier(linear_svm) · 3f2a1c9`: task, model and variant, search, short config hash."""
    variant = model.get_params(deep=False).get(VARIANT_PARAM.get(experiment.estimator, ""))
    parts = [experiment.task, f"{experiment.estimator}({variant})" if variant else experiment.estimator]
    if outcome is not None:
        parts.append(f"{outcome.spec.method}×{len(outcome.candidates)}")
    return " · ".join([*parts, experiment.config_hash[:7]])


def train(
    experiment_path: str | Path,
    data_dir: str | Path | None = None,
    *,
    seed: int = 13,
    tracking_uri: str | None = None,
    n_jobs: int = 1,
) -> TrainResult:
    """Fit, evaluate on validation and test, and log one MLflow run with params, metrics, artifacts and model.

    With a [search] table the model is the best candidate of a grid or random search cross-validated by
    article (`n_jobs` candidates fit at once), refit on the train split; each candidate gets a nested run.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from toolkit.dataset import load_dataset
    from toolkit.tracking import store as track
    from toolkit.training.search import parse_search, run_search

    experiment = load_experiment(experiment_path)
    spec = parse_search(experiment)
    track.use_tracking(tracking_uri)  # an unusable store fails now, not after minutes of fitting
    data_path = Path(data_dir or experiment.data_path or DEFAULT_DATA)
    dataset, manifest = load_dataset(data_path, experiment.task)
    if "train" not in dataset:
        raise ToolkitError(f"{data_path}: the {experiment.task} dataset has no train split")
    X_train, y_train = task_data(dataset["train"], experiment.task)
    labels = _labels(dataset["train"], experiment.task)
    outcome = None
    try:
        if spec is None:
            model = build_estimator(experiment, seed).fit(X_train, y_train)
        else:
            groups = list(dataset["train"]["article_id"])
            outcome = run_search(experiment, spec, X_train, y_train, groups, seed=seed, n_jobs=n_jobs)
            model = outcome.model
    except (ValueError, TypeError) as exc:
        # The dataset was checked when it was built: what the estimator refuses here is a parameter value.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolkitError(
            f"{experiment.path}: {experiment.estimator} refused its parameters: {reason}"
        ) from None

    scores: dict[str, dict[str, float]] = {}
    predictions: dict[str, tuple[Any, list, list]] = {}
    for split in ("validation", "test"):
        if split in dataset:
            X, y = task_data(dataset[split], experiment.task)
            scores[split], predicted = score_split(
                model, experiment.task, X, y, labels, experiment.positive_label
            )
            predictions[split] = (dataset[split], y, predicted)
    return _log_run(
        experiment,
        model,
        dataset,
        manifest,
        data_path,
        scores,
        predictions,
        labels,
        seed,
        tracking_uri,
        outcome,
    )


def _labels(split: Any, task: str) -> list[str]:
    if task == "claims":
        return list(split.features["label"].names)
    return sorted({tag[2:] for tag in split.features["tags"].feature.names if tag != "O"})


def _log_run(
    experiment: Experiment,
    model: Any,
    dataset: Any,
    manifest: dict,
    data_path: Path,
    scores: dict[str, dict[str, float]],
    predictions: dict[str, tuple[Any, list, list]],
    labels: list[str],
    seed: int,
    tracking_uri: str | None,
    outcome: Any = None,
) -> TrainResult:
    import mlflow

    from toolkit.tracking import log as artifacts
    from toolkit.tracking import store as track
    from toolkit.training.search import log_candidates, param_text

    uri = track.use_tracking(tracking_uri)
    experiment_name = f"toolkit-{experiment.task}"
    experiment_id = track.experiment_id_for(experiment_name, uri)
    title = run_name(experiment, model, outcome)
    metrics = {f"{split}.{name}": value for split, values in scores.items() for name, value in values.items()}
    params = {
        **flatten(experiment.config),
        "seed": seed,
        "data.path": str(data_path),
        "data.version": manifest["version"],
        **{f"data.rows.{split}": len(dataset[split]) for split in dataset},
    }
    tags = {"task": experiment.task, "estimator": experiment.estimator, "experiment.name": experiment.name}
    # A candidate's params: the file's, without its [search] table, with the candidate's own values.
    candidate_base = {key: value for key, value in params.items() if not key.startswith("search.")}
    if outcome is not None:
        # The parent's model.* params are those of the model it holds: the refit best candidate.
        best_params = {key: param_text(value) for key, value in outcome.best_params.items()}
        params.update({f"model.{key}": value for key, value in best_params.items()})
        params.update({f"search.best.{key}": value for key, value in best_params.items()})
        params["search.n_candidates"] = len(outcome.candidates)
        best = outcome.best
        metrics.update(
            {f"cv.{outcome.spec.scoring}.mean": best.mean, f"cv.{outcome.spec.scoring}.std": best.std}
        )
        metrics["search.seconds"] = outcome.seconds
    with mlflow.start_run(experiment_id=experiment_id, run_name=title) as run:
        mlflow.set_tags(
            {
                **tags,
                "experiment_file": str(experiment.path),
                "config.sha256": experiment.config_hash,
                "mlflow.note.content": experiment.description,
                **track.provenance_tags(manifest, GUIDELINES),
                **({"search.role": "parent", "search.n_jobs": str(outcome.n_jobs)} if outcome else {}),
            }
        )
        mlflow.log_params(track.run_params(params))
        mlflow.log_metrics(metrics)
        mlflow.log_text(experiment.source, "experiment.toml")
        mlflow.log_dict(manifest, "dataset_manifest.json")
        artifacts.log_evaluation(experiment.task, scores, predictions, labels)
        _log_dataset(dataset, experiment.task, data_path, manifest)
        _log_model(model, experiment, dataset, manifest)
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
        run_name=title,
        experiment_name=experiment_name,
        tracking_uri=uri,
        model_uri=f"runs:/{run.info.run_id}/model",
        metrics=metrics,
        data_version=manifest["version"],
        search=search,
    )


def _log_dataset(dataset: Any, task: str, data_path: Path, manifest: dict) -> None:
    """The splits as run inputs; MLflow's own digest is partial, so our full content hash rides along as a tag."""
    import warnings

    import mlflow

    with warnings.catch_warnings():
        # Schema inference hints that int columns cannot hold missing values; our offsets never miss.
        warnings.filterwarnings(
            "ignore", message="Hint: Inferred schema contains integer", category=UserWarning
        )
        for split, context in (("train", "training"), ("validation", "validation"), ("test", "testing")):
            if split in dataset:
                source = mlflow.data.from_huggingface(
                    dataset[split],
                    path=str(data_path.resolve()),
                    name=f"{task}-{manifest['version']}-{split}",
                    digest=manifest["content_hash"][:32],
                )
                tags = {"content_hash": manifest["content_hash"], "split": split}
                mlflow.log_input(source, context=context, tags=tags)


def _log_model(model: Any, experiment: Experiment, dataset: Any, manifest: dict) -> Any:
    import mlflow
    from mlflow.models import infer_signature

    from toolkit.models import SKOPS_TRUSTED_TYPES

    sample = dataset["train"].select(range(min(3, len(dataset["train"]))))
    X_sample, _ = task_data(sample, experiment.task)
    if experiment.task == "claims":
        input_example = X_sample
        signature = infer_signature(X_sample, model.predict(X_sample))
    else:
        # Token lists: one column of string arrays, the way pandas (and so MLflow's pyfunc) carries them.
        import pandas as pd

        input_example = pd.DataFrame({"tokens": [list(tokens) for tokens in X_sample]})
        signature = infer_signature(
            input_example, pd.DataFrame({"tags": [list(t) for t in model.predict(X_sample)]})
        )
    return mlflow.sklearn.log_model(
        model,
        name="model",
        serialization_format="skops",
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        signature=signature,
        input_example=input_example,
        pip_requirements=_requirements(),
        metadata={
            "task": experiment.task,
            "dataset_version": manifest["version"],
            "estimator": experiment.estimator,
        },
    )


def _requirements() -> list[str]:
    """Pinned from what is installed: MLflow's own inference takes seconds per model and guesses."""
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "numpy", "scipy", "skops")]
