"""`toolkit push`: articles → Label Studio tasks with pre-annotations, imported in batches, never twice.

A task carries the article id and its content hash; before importing, the project's tasks are listed and any
article already there with the same hash is skipped, so a re-run creates no task. At archive scale (a project
holding more tasks than the push) the server is asked only about the pushed article ids, by a Data Manager filter
(`filter:tasks:data.article_id`, operator `in_list`, which Label Studio 1.23 applies in SQL), a few hundred ids a
request. Pre-annotations (a model's or
the rules') are checked here before anything leaves: the server accepts bad offsets and unknown labels silently.
Listing and importing happen under the project's lock (locks.py, the same one `toolkit pull` takes), so two
exports of the same articles at once cannot both find them missing: the second waits, then finds them there.

With a `selector` (active learning, `toolkit push --select`), the articles whose id the project already holds are
dropped first, under the lock; the selector ranks the rest and keeps its N; each task's data gets the selector's
fields (`al_score`, `al_strategy`, `al_rank`), which Label Studio's Data Manager shows as columns to sort by.

What a task and its predictions look like (task data, checks, model names, offsets) is in payloads.py.
"""

from __future__ import annotations

import contextlib
import gc
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, collect, connect
from toolkit.labelstudio.locks import DEFAULT_WAIT, project_lock
from toolkit.labelstudio.payloads import (
    VersionSet,
    build_tasks,
    check_predictions,
    task_key,
)
from toolkit.labelstudio.snapshots import resolve_folder
from toolkit.project import EXPORTS
from toolkit.schema import DEFAULT_SCHEMA, Schema, load_schema

__all__ = ["PushResult", "Progress", "Selector", "existing_tasks", "push_tasks"]

# progress(stage, done, total): the CLI draws a bar from it; the library prints nothing.
Progress = Callable[[str, int, int], None]
# selector(candidates, limit) → [(article, extra task data)], in the order to label them, at most `limit`.
Selector = Callable[[Sequence[Any], int | None], list[tuple[Any, dict[str, Any]]]]


@dataclass
class PushResult:
    project: str
    project_id: int | None
    articles: int
    created: int = 0
    existing: int = 0
    changed: int = 0
    predictions_added: int = 0
    predictions_present: int = 0
    spans: int = 0
    model_version: str | None = None
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0
    output: Path | None = None
    skipped: int = 0  # with a selector: articles left out because the project already has them

    @property
    def dry_run(self) -> bool:
        return self.output is not None


# The ids of one filtered listing travel URL-encoded in its query string: at most this many characters of them,
# so that the request line stays under 8 KB (nginx's default limit) whatever the ids' length.
QUERY_CHARS = 7000


def _id_groups(values: Sequence[Any]) -> Iterator[list[Any]]:
    group: list[Any] = []
    size = 0
    for value in values:
        cost = len(quote(json.dumps(value) + ", "))  # as it travels, URL-encoded
        if group and size + cost > QUERY_CHARS:
            yield group
            group, size = [], 0
        group.append(value)
        size += cost
    if group:
        yield group


def _listing(
    client: Client, project_id: int, column: str | None, values: Sequence[Any], predictions: bool
) -> list[Any]:
    """The project's tasks (id and data; with `predictions`, theirs too), all of them when `column` is None,
    else only those whose `column` (a Data Manager column: `data.article_id`, `id`) is one of `values`: the
    server filters (`in_list`), so a batch of a large project does not list the whole project."""
    options: dict[str, Any] = {"fields": "all", "include": "id,data,predictions"} if predictions else {}
    options = options or {"fields": "task_only", "include": "id,data"}
    if column is None:
        return collect(client.sdk.tasks.list(project=project_id, page_size=1000, **options), 1000)
    found = []
    for group in _id_groups(values):
        item = {"filter": f"filter:tasks:{column}", "operator": "in_list", "type": "String", "value": group}
        query = json.dumps({"filters": {"conjunction": "and", "items": [item]}})
        found += collect(
            client.sdk.tasks.list(project=project_id, query=query, page_size=1000, **options), 1000
        )
    return found


def existing_tasks(
    client: Client, project_id: int, article_ids: Sequence[str] | None = None
) -> dict[tuple[str, str], int]:
    """(article id, content hash) → task id for every task of the project, or only for those of `article_ids`
    (filtered by the server)."""

    def listing() -> dict[tuple[str, str], int]:
        column = None if article_ids is None else "data.article_id"
        tasks = _listing(client, project_id, column, article_ids or (), predictions=False)
        return {task_key(task.data or {}): task.id for task in tasks}

    return client.call(f"listing the tasks of project {project_id}", listing)


def _prediction_versions(
    client: Client, project_id: int, task_ids: Sequence[int] | None = None
) -> dict[int, set[str]]:
    """Task id → the model versions of its predictions: every task of the project, or those of `task_ids`."""

    def listing() -> dict[int, set[str]]:
        versions: dict[int, set[str]] = {}
        if task_ids is None:
            for prediction in client.sdk.predictions.list(project=project_id):
                versions.setdefault(prediction.task, VersionSet()).add(prediction.model_version or "")
            return versions
        for task in _listing(client, project_id, "id", task_ids, predictions=True):
            found = versions.setdefault(task.id, VersionSet())
            for prediction in task.predictions or ():
                if isinstance(prediction, dict):
                    found.add(prediction.get("model_version") or "")
                else:
                    found.add(getattr(prediction, "model_version", None) or "")
        return versions

    return client.call(f"listing the predictions of project {project_id}", listing)


@contextlib.contextmanager
def _paused_gc() -> Iterator[None]:
    """Building ~10 small dicts per span, and the SDK encoding them again for each request, make the cyclic GC
    run constantly (3/4 of the building time for 10,000 articles, 1/3 of the encoding); none of it is cyclic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def push_tasks(
    articles_path: Path,
    project: str,
    *,
    predictor: Callable[[Sequence[Any], Schema], list | None] | None = None,
    selector: Selector | None = None,
    limit: int | None = None,
    batch_size: int = 1000,
    output: Path | None = None,
    schema_path: Path = DEFAULT_SCHEMA,
    client: Client | None = None,
    progress: Progress | None = None,
    exports_dir: Path = EXPORTS,
    lock_wait: float = DEFAULT_WAIT,
) -> PushResult:
    """Import `articles_path` into the project as tasks, with pre-annotations; with `output`, write them instead.

    `predictor(articles, schema)` gives the articles' pre-annotations (`toolkit.predict.pre_annotations`: MLflow models
    or the rule pre-annotator); every span is checked against its article before anything is sent. With a
    `selector`, `limit` counts the articles it picks among those the project does not hold yet (all of them
    in a dry run); without one, the first `limit` articles of the file.

    Existing tasks (same article id and content hash) are not imported again; when predictions are given, an
    existing task that has none from this model version gets one. A batch that fails with a 5xx or a timeout
    is tried again after a pause, but only for its tasks that the server does not already hold (a failed
    answer may follow a committed import). When the tries run out, ToolkitError says how far it got; running
    the same command again finishes the job without duplicates. The project's lock, in its folder under
    `exports_dir`, is held from the listing to the last import; another run waits up to `lock_wait` s for it.
    """
    from toolkit.ingest import read_articles
    from toolkit.io import write_json_atomic

    began = time.monotonic()
    if batch_size < 1:
        raise ToolkitError(f"--batch-size must be at least 1, got {batch_size}")
    schema = load_schema(schema_path)
    articles = read_articles(articles_path)
    if selector is None and limit is not None:
        articles = articles[: max(limit, 0)]
    result = PushResult(project, None, len(articles))

    def prepare(articles: Sequence[Any]) -> list[dict[str, Any]]:
        extras = None
        if selector is not None:
            chosen = selector(articles, limit)
            articles, extras = [a for a, _ in chosen], {a.id: extra for a, extra in chosen}
        with _paused_gc():
            predictions = predictor(articles, schema) if predictor is not None else None
            result.spans = check_predictions(articles, predictions, schema) if predictions is not None else 0
            tasks = build_tasks(articles, predictions, extras)
        result.articles = len(articles)
        result.model_version = predictions[0].model_version if predictions else None
        return tasks

    if output is not None:
        write_json_atomic(output, prepare(articles))
        result.output = output
        result.seconds = time.monotonic() - began
        return result

    tasks = prepare(articles) if selector is None else []
    client = client or connect()
    project_id = client.project(project).id
    result.project_id = project_id
    folder = resolve_folder(exports_dir, project, project_id)
    with project_lock(folder, "export", wait=lock_wait):
        if selector is not None:  # never re-send an article the project holds, labelled or not
            held = {article_id for article_id, _ in existing_tasks(client, project_id)}
            candidates = [article for article in articles if article.id not in held]
            result.skipped = len(articles) - len(candidates)
            tasks = prepare(candidates)
        _import_new(client, project_id, tasks, result.model_version, result, batch_size, progress)
    result.seconds = time.monotonic() - began
    return result


def _ask_by_id(held: int | None, asked: int) -> bool:
    """Whether to ask the server about our ids rather than list the project: when the project holds more tasks
    than we ask about, the listing would send more (the text of every task), in more pages."""
    return held is not None and held > asked


def _import_new(
    client: Client,
    project_id: int,
    tasks: list[dict[str, Any]],
    version: str | None,
    result: PushResult,
    batch_size: int,
    progress: Progress | None,
) -> None:
    """Find which tasks the project holds, then import the missing ones and the missing predictions (under the
    lock). When the project holds more tasks than we push, the server is asked about our article ids only
    (and about those tasks' predictions only) instead of listing the whole project."""
    article_ids = sorted({task["data"]["article_id"] for task in tasks})
    held = client.call(
        f"reading project {project_id}", lambda: client.sdk.projects.get(id=project_id).task_number
    )
    filtered = _ask_by_id(held, len(article_ids))
    present = existing_tasks(client, project_id, article_ids if filtered else None)
    ids_present = {article_id for article_id, _ in present}
    new = [task for task in tasks if task_key(task["data"]) not in present]
    result.existing = len(tasks) - len(new)
    result.changed = sum(1 for task in new if task["data"]["article_id"] in ids_present)
    late: list[dict[str, Any]] = []
    if version is not None and result.existing:
        held_ids = [present[key] for key in {task_key(task["data"]) for task in tasks} if key in present]
        versions = _prediction_versions(client, project_id, held_ids if filtered else None)
        for task in tasks:
            task_id = present.get(task_key(task["data"]))
            if task_id is None or "predictions" not in task:
                continue
            if version in versions.get(task_id, set()):
                result.predictions_present += 1
            else:
                late.append({**task["predictions"][0], "task": task_id})
    total = len(new) + len(late)
    done = 0
    if progress:
        progress("importing", 0, total)
    with _paused_gc():
        for batch in _chunks(new, batch_size):
            result.created += _import_batch(client, project_id, list(batch), result)
            done += len(batch)
            if progress:
                progress("importing", done, total)
        for batch in _chunks(late, batch_size):
            result.predictions_added += _import_predictions(client, project_id, list(batch), version, result)
            done += len(batch)
            if progress:
                progress("importing", done, total)


def _give_up(client: Client, error: Exception, what: str, tries: int, imported: int) -> ToolkitError:
    return ToolkitError(
        f"{client.describe(error, what)} after {tries} tries; stopped with at least {imported} new tasks "
        "imported: run the same command again to finish (tasks already there are skipped)"
    )


def _import_batch(client: Client, project_id: int, batch: list[dict], result: PushResult) -> int:
    """Import one batch; on a retryable failure wait, drop the tasks the server committed anyway, try again."""
    delays = client.retry.delays()
    committed = 0  # tasks of this batch the server holds although its answer failed
    for attempt in range(len(delays) + 1):
        try:
            client.post_json(f"projects/{project_id}/import", batch)
            result.batches += 1
            return committed + len(batch)
        except Exception as error:
            if not client.retryable(error):
                done = f"; {result.created} new tasks were imported before it" if result.created else ""
                raise ToolkitError(client.describe(error, "importing tasks") + done) from None
            if attempt == len(delays):
                raise _give_up(
                    client, error, "importing tasks", attempt + 1, result.created + committed
                ) from None
            result.retries += 1
            time.sleep(delays[attempt])
            try:
                present = existing_tasks(client, project_id, [task["data"]["article_id"] for task in batch])
            except ToolkitError:
                raise _give_up(
                    client, error, "importing tasks", attempt + 1, result.created + committed
                ) from None
            remaining = [task for task in batch if task_key(task["data"]) not in present]
            committed += len(batch) - len(remaining)
            batch = remaining
            if not batch:
                return committed
    raise AssertionError("unreachable")


def _import_predictions(
    client: Client, project_id: int, batch: list[dict], version: str, result: PushResult
) -> int:
    """Add predictions to existing tasks, with the same retry rule: never twice the same version on a task."""
    delays = client.retry.delays()
    for attempt in range(len(delays) + 1):
        try:
            client.post_json(f"projects/{project_id}/import/predictions", batch)
            result.batches += 1
            return len(batch)
        except Exception as error:
            if not client.retryable(error):
                raise ToolkitError(client.describe(error, "importing predictions")) from None
            if attempt == len(delays):
                raise _give_up(client, error, "importing predictions", attempt + 1, result.created) from None
            result.retries += 1
            time.sleep(delays[attempt])
            versions = _prediction_versions(client, project_id, [item["task"] for item in batch])
            batch = [item for item in batch if version not in versions.get(item["task"], set())]
            if not batch:
                return 0
    raise AssertionError("unreachable")
