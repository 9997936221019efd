"""The registry side of tracking: list and compare runs, promote one to an alias, and load a logged model.

Every function returns data and prints nothing; `toolkit runs ...` formats it. Loading a model (skops only, never
the model's own code) lives in `toolkit.tracking.models`; `load_model` is re-exported here. Runs live in the MLflow
experiments `toolkit-claims` and `toolkit-entities`; a search's candidates are nested runs under their parent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.tasks import TASKS as TASK_SPECS
from toolkit.tracking.models import LoadedModel, load_model

__all__ = [
    "RunSummary",
    "Comparison",
    "Promotion",
    "HEADLINE",
    "PER_CLASS",
    "list_runs",
    "compare_runs",
    "promote",
    "Selection",
    "select_best",
    "LoadedModel",
    "load_model",
]

TASKS = tuple(TASK_SPECS)
# The score a list shows, and the per-class metric a comparison lines up, for each task.
HEADLINE = {name: spec.headline for name, spec in TASK_SPECS.items()}
PER_CLASS = {"claims": "test.f1.<CLASS>", "entities": "test.span_f1.<TYPE>"}
SPLITS = ("train", "validation", "test")
ALIAS = re.compile(r"[A-Za-z0-9_-]{1,255}")


@dataclass
class RunSummary:
    run_id: str
    name: str
    task: str
    experiment: str
    status: str
    started: datetime | None
    validation: float | None  # the task's headline score: macro F1 for claims, span F1 for entities
    test: float | None
    cv: float | None  # a search's best cross-validated score, or a candidate's own
    parent_run_id: str | None = None
    candidates: int = 0
    aliases: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    runs: list[RunSummary]
    params: list[tuple[str, list[str | None]]]
    metrics: list[tuple[str, list[float | None]]]
    per_class: list[tuple[str, list[float | None]]]  # (class, its F1 on `split` in each run)
    per_class_metric: str  # "validation.f1.<CLASS>", "test.span_f1.<TYPE>"...; "/"-joined when tasks differ
    hidden_params: int = 0  # identical params left out by diff_only
    split: str = "validation"  # the split of `per_class`


@dataclass
class Promotion:
    run_id: str
    name: str
    version: int
    alias: str
    model_uri: str  # models:/NAME@ALIAS
    source: str  # the logged model: models:/m-...
    created: bool  # False when this run's model was already a version of NAME
    previous_version: int | None = None  # the version the alias pointed to before


def _client(tracking_uri: str | None) -> Any:
    from mlflow import MlflowClient

    from toolkit.tracking import store as track

    uri = track.use_tracking(tracking_uri, must_exist=True)
    try:
        return MlflowClient()
    except Exception as exc:  # MLflow raises several types for an unusable store; all mean the same here
        raise ToolkitError(f"MLflow tracking at {uri}: {str(exc).splitlines()[0]}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _get_run(client: Any, run_id: str) -> Any:
    import mlflow

    try:
        return client.get_run(run_id)
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(f"run {run_id}: {_first_line(exc)}") from None
    except OSError as exc:
        raise ToolkitError(f"run {run_id}: MLflow tracking is unreachable ({exc})") from None


def _aliases(client: Any, tasks: Sequence[str]) -> dict[str, list[str]]:
    """run id → `champion@toolkit-claims v2` labels, for the aliases of the tasks' registered models."""
    import mlflow

    from toolkit.tracking import store as track

    found: dict[str, list[str]] = {}
    for task in tasks:
        name = track.registered_model_name(task)
        try:
            aliases = client.get_registered_model(name).aliases
        except mlflow.exceptions.MlflowException:
            continue
        for alias, version in sorted(aliases.items()):
            run_id = client.get_model_version(name, str(version)).run_id
            found.setdefault(run_id, []).append(f"{alias} ({name} v{version})")
    return found


def _summary(run: Any, experiments: dict[str, str], aliases: dict[str, list[str]]) -> RunSummary:
    tags, metrics = run.data.tags, run.data.metrics
    task = tags.get("task", "")
    headline = HEADLINE.get(task, "")
    cv = [
        value for name, value in sorted(metrics.items()) if name.startswith("cv.") and name.endswith(".mean")
    ]
    started = run.info.start_time
    return RunSummary(
        run_id=run.info.run_id,
        name=run.info.run_name or "",
        task=task,
        experiment=experiments.get(run.info.experiment_id, run.info.experiment_id),
        status=run.info.status,
        started=datetime.fromtimestamp(started / 1000, tz=UTC) if started else None,
        validation=metrics.get(f"validation.{headline}"),
        test=metrics.get(f"test.{headline}"),
        cv=cv[0] if cv else None,
        parent_run_id=tags.get("mlflow.parentRunId"),
        candidates=int(run.data.params.get("search.n_candidates", 0)),
        aliases=aliases.get(run.info.run_id, []),
    )


def list_runs(
    task: str | None = None,
    *,
    limit: int = 20,
    candidates: bool = False,
    tracking_uri: str | None = None,
) -> list[RunSummary]:
    """The newest runs first, of one task or both; a search's candidate runs only when `candidates`."""
    if task is not None and task not in TASKS:
        raise ToolkitError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if limit < 1:
        raise ToolkitError(f"limit must be at least 1, got {limit}")
    import mlflow

    from toolkit.tracking import store as track

    client = _client(tracking_uri)
    tasks = [task] if task else list(TASKS)
    experiments: dict[str, str] = {}
    try:
        for name in (f"toolkit-{t}" for t in tasks):
            found = client.get_experiment_by_name(name)
            if found is not None:
                experiments[found.experiment_id] = name
        if not experiments:
            return []
        runs = client.search_runs(
            list(experiments),
            filter_string="" if candidates else "tags.mlflow.parentRunId IS NULL",
            max_results=limit,
            order_by=["attributes.start_time DESC"],
        )
        aliases = _aliases(client, tasks)
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(
            f"MLflow tracking at {track.resolve_tracking_uri(tracking_uri)}: {_first_line(exc)}"
        ) from None
    except OSError as exc:
        raise ToolkitError(
            f"MLflow tracking at {track.resolve_tracking_uri(tracking_uri)} is unreachable ({exc})"
        ) from None
    return [_summary(run, experiments, aliases) for run in runs]


def _is_per_class(name: str) -> bool:
    """`test.f1.FACT`, `validation.span_recall.ORG`: a split's metric of one class."""
    split, _, rest = name.partition(".")
    return split in SPLITS and "." in rest


def compare_runs(
    run_ids: Sequence[str],
    *,
    split: str = "validation",
    diff_only: bool = False,
    tracking_uri: str | None = None,
) -> Comparison:
    """Params, overall metrics and per-class F1 on `split` of runs side by side; `diff_only` keeps differing
    params. Choose a model on validation; test is for reporting the chosen one."""
    if not run_ids:
        raise ToolkitError("give at least one run id to compare")
    if split not in SPLITS:
        raise ToolkitError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    client = _client(tracking_uri)
    runs = [_get_run(client, run_id) for run_id in dict.fromkeys(run_ids)]
    experiments = {run.info.experiment_id: client.get_experiment(run.info.experiment_id).name for run in runs}
    tasks = sorted({run.data.tags.get("task", "") for run in runs} & set(TASKS))
    aliases = _aliases(client, tasks)
    summaries = [_summary(run, experiments, aliases) for run in runs]

    param_names = sorted({name for run in runs for name in run.data.params})
    params = [(name, [run.data.params.get(name) for run in runs]) for name in param_names]
    shown = [row for row in params if len(set(row[1])) > 1] if diff_only else params

    metric_names = sorted({name for run in runs for name in run.data.metrics if not _is_per_class(name)})
    metrics = [(name, [run.data.metrics.get(name) for run in runs]) for name in metric_names]

    templates = [PER_CLASS[task].replace("test.", f"{split}.", 1) for task in tasks]
    prefixes = [template.split("<")[0] for template in templates]
    per_class_names = sorted(
        {name for run in runs for name in run.data.metrics if any(name.startswith(p) for p in prefixes)}
    )
    per_class = [
        (name.split(".")[-1], [run.data.metrics.get(name) for run in runs]) for name in per_class_names
    ]
    return Comparison(
        runs=summaries,
        params=shown,
        metrics=metrics,
        per_class=per_class,
        per_class_metric=" / ".join(templates),
        hidden_params=len(params) - len(shown),
        split=split,
    )


def promote(run_id: str, alias: str = "champion", *, tracking_uri: str | None = None) -> Promotion:
    """Register the run's model under its task's name (once per run) and point `alias` at that version."""
    import mlflow

    from toolkit.tracking import store as track

    if not ALIAS.fullmatch(alias) or alias.lower() == "latest" or re.fullmatch(r"[vV]\d+", alias):
        raise ToolkitError(f"alias must be letters, digits, - or _ (not latest, v1, v2...), got {alias!r}")
    client = _client(tracking_uri)
    run = _get_run(client, run_id)
    task = run.data.tags.get("task")
    if task not in TASKS:
        raise ToolkitError(f"run {run_id} was not made by `toolkit train` (it has no task tag)")
    outputs = run.outputs.model_outputs if run.outputs else []
    if not outputs:
        parent = run.data.tags.get("mlflow.parentRunId")
        hint = f"; it is a search candidate: promote its parent run {parent}" if parent else ""
        raise ToolkitError(f"run {run_id} logged no model{hint}")
    model_id = outputs[-1].model_id
    name = track.registered_model_name(task)
    try:
        try:
            client.create_registered_model(
                name, description=f"toolkit {task} models; aliases mark the ones in use"
            )
        except mlflow.exceptions.MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        previous = client.get_registered_model(name).aliases.get(alias)
        existing = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
        if existing:
            version = max(int(found.version) for found in existing)
        else:
            created = client.create_model_version(
                name,
                source=f"models:/{model_id}",
                run_id=run_id,
                model_id=model_id,
                tags={
                    "run_name": run.info.run_name or "",
                    "dataset.version": run.data.tags.get("dataset.version", ""),
                },
                description=run.data.tags.get("mlflow.note.content"),
            )
            version = int(created.version)
        client.set_registered_model_alias(name, alias, str(version))
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(f"promoting run {run_id} to {name}@{alias}: {_first_line(exc)}") from None
    return Promotion(
        run_id=run_id,
        name=name,
        version=version,
        alias=alias,
        model_uri=f"models:/{name}@{alias}",
        source=f"models:/{model_id}",
        created=not existing,
        previous_version=int(previous) if previous is not None else None,
    )


@dataclass
class Selection:
    promotion: Promotion
    run: RunSummary
    metric: str
    value: float
    considered: int  # runs on the same dataset version that have the metric
    dataset_version: str


def select_best(
    task: str,
    *,
    metric: str | None = None,
    alias: str = "champion",
    tracking_uri: str | None = None,
) -> Selection:
    """Promote the best run of `task` by `metric` among the finished top-level runs on the newest run's dataset
    version, so a selection never compares scores measured on different data.

    The default metric is `validation.transfer.<headline>` (our validation and the public corpora's, averaged:
    `toolkit.training.judges`) when the newest run has it, and then only runs judged by the same corpora are
    compared; else the task's validation headline. Never a test score."""
    import mlflow

    if task not in TASKS:
        raise ToolkitError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if metric is not None and metric.startswith("test."):
        raise ToolkitError(
            f"select by a validation or cv score, not {metric!r}: test scores judge, never choose"
        )
    client = _client(tracking_uri)
    found = client.get_experiment_by_name(f"toolkit-{task}")
    if found is None:
        raise ToolkitError(f"no {task} runs yet: train one with `toolkit train`")
    try:
        runs = client.search_runs(
            [found.experiment_id],
            filter_string="tags.mlflow.parentRunId IS NULL and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1000,
        )
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(f"MLflow tracking: {_first_line(exc)}") from None
    if not runs:
        raise ToolkitError(f"no finished {task} runs yet: train one with `toolkit train`")
    newest = runs[0].data
    version = newest.tags.get("dataset.version", "")
    same_data = [run for run in runs if run.data.tags.get("dataset.version", "") == version]
    transfer = f"validation.transfer.{HEADLINE[task]}"
    if metric is None and transfer in newest.metrics:
        metric, judges = transfer, newest.params.get("transfer.judges")
        same_data = [run for run in same_data if run.data.params.get("transfer.judges") == judges]
    metric = metric or f"validation.{HEADLINE[task]}"
    scored = [run for run in same_data if metric in run.data.metrics]
    if not scored:
        raise ToolkitError(f"no {task} run on dataset {version[:8]} has the metric {metric!r}")
    # max() keeps the first of equal scores: the newest, as runs come newest first.
    best = max(scored, key=lambda run: run.data.metrics[metric])
    promotion = promote(best.info.run_id, alias, tracking_uri=tracking_uri)
    summary = _summary(best, {found.experiment_id: found.name}, {})
    return Selection(promotion, summary, metric, best.data.metrics[metric], len(scored), version)
