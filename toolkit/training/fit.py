"""Fit the model an experiment file describes and score it on validation and test: a `FitResult`, no MLflow.

`toolkit train` is `fit` followed by `toolkit.tracking.log.log_fit`; everything a run records (params, metrics,
predictions for the error tables, the search's candidates) is in the result, so fitting is tested without a
tracking store and a notebook can fit without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.project import DATA, SEED
from toolkit.tasks import TaskSpec, task_spec
from toolkit.training.experiments import Experiment, build_estimator, flatten, load_experiment
from toolkit.training.judges import judge_headline, score_judges, span_scores_on, transfer_score
from toolkit.training.search import SearchOutcome, param_text, parse_search, run_search
from toolkit.training.sources import LoadedSource, training_set

__all__ = ["FitResult", "fit", "score_split", "DEFAULT_DATA"]

DEFAULT_DATA = DATA


@dataclass
class FitResult:
    """A fitted model, what it was fitted on, and its scores and predictions on validation and test."""

    experiment: Experiment
    model: Any
    seed: int
    data_path: Path
    dataset: Any  # the task's DatasetDict
    manifest: dict[str, Any]
    labels: list[str]
    scores: dict[str, dict[str, float]]
    predictions: dict[str, tuple[Any, list, list]]  # split → (rows, truth, predicted)
    search: SearchOutcome | None = None
    sources: list[LoadedSource] = field(default_factory=list)  # datasets mixed into training
    skipped_sources: list[str] = field(default_factory=list)  # listed but absent
    judges: list[str] = field(default_factory=list)  # the sources `validation.transfer.*` averages

    @property
    def task(self) -> TaskSpec:
        return task_spec(self.experiment.task)

    @property
    def data_version(self) -> str:
        return self.manifest["version"]

    @property
    def metrics(self) -> dict[str, float]:
        """`validation.macro_f1`, `test.f1.FACT`, ...; with a search, the best candidate's CV mean and std."""
        metrics = {
            f"{split}.{name}": value
            for split, values in self.scores.items()
            for name, value in values.items()
        }
        if self.search is not None:
            best, scoring = self.search.best, self.search.spec.scoring
            metrics.update({f"cv.{scoring}.mean": best.mean, f"cv.{scoring}.std": best.std})
            metrics["search.seconds"] = self.search.seconds
        return metrics

    @property
    def params(self) -> dict[str, Any]:
        """The experiment file flattened, the seed and the data; with a search, the refit best candidate's."""
        params = {
            **flatten(self.experiment.config),
            "seed": self.seed,
            "data.path": str(self.data_path),
            "data.version": self.data_version,
            **{f"data.rows.{split}": len(self.dataset[split]) for split in self.dataset},
        }
        for loaded in self.sources:
            name = loaded.source.name
            params[f"data.sources.{name}.version"] = loaded.version
            params[f"data.sources.{name}.rows"] = len(loaded.y)
        if self.skipped_sources:
            params["data.sources.skipped"] = ", ".join(self.skipped_sources)
        if self.judges:
            params["transfer.judges"] = ", ".join(self.judges)
        if self.search is not None:
            best = {key: param_text(value) for key, value in self.search.best_params.items()}
            params.update({f"model.{key}": value for key, value in best.items()})
            params.update({f"search.best.{key}": value for key, value in best.items()})
            params["search.n_candidates"] = len(self.search.candidates)
        return params

    def source_summaries(self) -> list[dict[str, Any]]:
        """Per mixed-in source: its name, train rows, weight and its own validation headline score (or None); a
        judge's headline for a source that judges too (Szeged's hedge F1)."""
        return [
            {
                "name": loaded.source.name,
                "rows": len(loaded.y),
                "weight": loaded.source.weight,
                "validation": self.scores.get(f"validation.{loaded.source.name}", {}).get(
                    judge_headline(self.task, loaded.source.name)
                ),
            }
            for loaded in self.sources
        ]

    @property
    def run_name(self) -> str:
        """`claims · ClaimClassifier(linear_svm) · data 1aea226e · 3f2a1c9`: task, model and variant, search,
        dataset version and short config hash, so runs on different data never share a name."""
        experiment = self.experiment
        variant = self.model.get_params(deep=False).get(self.task.variant_param)
        parts = [experiment.task, f"{experiment.estimator}({variant})" if variant else experiment.estimator]
        if self.search is not None:
            parts.append(f"{self.search.spec.method}×{len(self.search.candidates)}")
        return " · ".join([*parts, f"data {self.data_version[:8]}", experiment.config_hash[:7]])


def score_split(
    model: Any, task: TaskSpec, X: Any, y: list, labels: list[str], positive: str | None = None
) -> tuple[dict[str, float], list]:
    """(metrics, predictions) of a fitted model on one split."""
    from toolkit.models.metrics import classification_metrics, span_metrics

    predictions = list(model.predict(X))
    if task.sequence:
        return span_metrics(y, [list(tags) for tags in predictions]), predictions
    metrics = classification_metrics(y, predictions, labels, positive=positive)
    if hasattr(model, "predict_proba") and len(y):
        # Probabilities feed pre-annotation scores and active learning: how far to trust them is a metric too.
        from toolkit.models.metrics import expected_calibration_error

        metrics["ece"], _ = expected_calibration_error(y, model.predict_proba(X), list(model.classes_))
    return metrics, predictions


def _per_language(
    task: TaskSpec, rows: Any, split: str, y: list, predicted: list, labels: list[str], positive: str | None
) -> dict[str, dict[str, float]]:
    """`test.fr`, `test.en`: the split's scores for each language on its own, so a run shows how it carries
    across languages (with `train_languages`, the other language is a source the model never saw)."""
    from toolkit.models.metrics import classification_metrics, span_metrics

    languages = list(rows["lang"])
    scores = {}
    for lang in sorted(set(languages)):
        keep = [index for index, value in enumerate(languages) if value == lang]
        truth, guessed = (
            [y[i] for i in keep],
            [list(predicted[i]) if task.sequence else predicted[i] for i in keep],
        )
        if task.sequence:
            scores[f"{split}.{lang}"] = span_metrics(truth, guessed)
        else:
            scores[f"{split}.{lang}"] = classification_metrics(truth, guessed, labels, positive=positive)
    return scores if len(scores) > 1 else {}


def _score_source(
    model: Any, task: TaskSpec, loaded: LoadedSource, labels: list[str], experiment: Experiment
) -> dict[str, float]:
    """A source's validation scores on what it annotates: a DATE the model finds in CoNLL-2003, which has no
    DATE layer, is not a false positive, so entity types the source never annotated are left out of its score;
    a claims source is averaged over the statuses it holds (Szeged's hedged sentences are all SPECULATIVE once
    mapped: its score is SPECULATIVE's F1, not a six-class average of mostly empty classes)."""
    X, y = loaded.validation
    if not task.sequence:
        held = [label for label in labels if label in set(y)]
        return score_split(model, task, X, y, held, experiment.positive_label)[0]
    return span_scores_on(model, X, y, loaded.types)


def _check_positive_label(experiment: Experiment, labels: list[str], data_path: Path) -> None:
    """A `positive_label` the data does not have would train and log a positive_f1 of 0: refuse it first."""
    label = experiment.positive_label
    if label is None:
        return
    if task_spec(experiment.task).sequence:
        raise ToolkitError(
            f"{experiment.path}: `data.positive_label` applies to sentence labels, not to the {experiment.task} task"
        )
    if label not in labels:
        raise ToolkitError(
            f"{experiment.path}: `data.positive_label` {label!r} is not a label of {data_path}"
            f" (labels: {', '.join(labels)})"
        )


def fit(
    experiment_path: str | Path | Experiment,
    data_dir: str | Path | None = None,
    *,
    seed: int = SEED,
    n_jobs: int = 1,
    judges: str | Path | None = None,
) -> FitResult:
    """Fit the experiment's model on the train split and score it on validation and test.

    With a [search] table the model is the best candidate of a grid or random search cross-validated by
    article (`n_jobs` candidates fit at once), refit on the train split. `judges`: the folder of imported public
    corpora whose validation splits score every run (`toolkit.training.judges`), whether it trained on them or not.
    """
    from toolkit.project import offline_hubs

    offline_hubs()
    from toolkit.dataset import load_dataset

    experiment = (
        experiment_path if isinstance(experiment_path, Experiment) else load_experiment(experiment_path)
    )
    spec = parse_search(experiment)
    task = task_spec(experiment.task)
    data_path = Path(data_dir or experiment.data_path or DEFAULT_DATA)
    dataset, manifest = load_dataset(data_path, experiment.task)
    if "train" not in dataset:
        raise ToolkitError(f"{data_path}: the {experiment.task} dataset has no train split")
    if experiment.train_languages:
        keep = [i for i, lang in enumerate(dataset["train"]["lang"]) if lang in experiment.train_languages]
        dataset["train"] = dataset["train"].select(keep)
        if not len(dataset["train"]):
            raise ToolkitError(f"{data_path}: no train rows in {', '.join(experiment.train_languages)}")
    X_train, y_train = task.xy(dataset["train"])
    labels = task.labels(dataset["train"])
    _check_positive_label(experiment, labels, data_path)
    train = training_set(
        experiment,
        task,
        X_train,
        y_train,
        groups=list(dataset["train"]["article_id"]),
        languages=list(dataset["train"]["lang"]),  # the folds of cv = "language"
    )
    outcome = None
    try:
        if spec is None:
            model = build_estimator(experiment, seed).fit(train.X, train.y, **train.fit_params)
        else:
            outcome = run_search(
                experiment,
                spec,
                train.X,
                train.y,
                train.groups,
                seed=seed,
                n_jobs=n_jobs,
                languages=train.languages,
                fit_params=train.fit_params,
                n_scored=train.n_primary,
            )
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
            X, y = task.xy(dataset[split])
            scores[split], predicted = score_split(model, task, X, y, labels, experiment.positive_label)
            predictions[split] = (dataset[split], y, predicted)
            scores.update(
                _per_language(task, dataset[split], split, y, predicted, labels, experiment.positive_label)
            )
    # A judge scores a mixed-in source on its human labels whole (a source may have dropped some by its map).
    judged = score_judges(model, task, judges)
    scores.update(judged)
    for loaded in train.sources:
        key = f"validation.{loaded.source.name}"
        if key not in scores and loaded.validation is not None and len(loaded.validation[1]):
            scores[key] = _score_source(model, task, loaded, labels, experiment)
    transfer = transfer_score(task, scores.get("validation", {}), judged)
    if transfer is not None:
        scores["validation.transfer"] = {task.headline: transfer[0]}
    return FitResult(
        experiment=experiment,
        model=model,
        seed=seed,
        data_path=data_path,
        dataset=dataset,
        manifest=manifest,
        labels=labels,
        scores=scores,
        predictions=predictions,
        search=outcome,
        sources=train.sources,
        skipped_sources=train.skipped,
        judges=transfer[1] if transfer is not None else [],
    )
