"""The review project `<NAME> · review`: disagreements and suspect labels sent to a lead, decisions pulled back.

Two kinds of review task go there, told apart by `data.review`:

- `adjudicate` (`toolkit agreement --project NAME --adjudicate`): one task per article two annotators disagree
  on, the whole article, each annotator's work as a prediction whose model_version names the annotator; the lead
  accepts one, corrects it and submits. `toolkit pull --project NAME` then adds that annotation to the article's
  task in the snapshot, marked ground truth: `dataset build` prefers it over the annotators'
  (`exports.choose_annotation`) and `toolkit agreement` leaves it out of the figures (no independent annotation).
- `suspect` (`toolkit review ... --project NAME`, suspects.py): one task per sentence whose claim status or entity
  spans a model doubts, the model's reading as a prediction, the reason in the task data, where the Data Manager
  shows it as columns. `toolkit pull --project NAME` writes the lead's decision into the article's chosen
  annotation, over that sentence only, and adds the result marked ground truth, as for adjudications.

Every review task carries a `review_key`; a task whose key is already in the review project is not sent again,
so re-running either command adds only what is new.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, collect, connect
from toolkit.labelstudio.exports import TaskAnnotation
from toolkit.schema import DEFAULT_SCHEMA, TEXT_NAME
from toolkit.text.words import counted

__all__ = [
    "REVIEW_SUFFIX",
    "ReviewResult",
    "review_title",
    "adjudication_tasks",
    "send_review_tasks",
    "merge_adjudications",
    "newest_decision",
]

REVIEW_SUFFIX = " · review"
BATCH = 100


def review_title(project: str) -> str:
    return f"{project}{REVIEW_SUFFIX}"


@dataclass
class ReviewResult:
    project: str  # the review project's title
    project_id: int
    url: str
    created: bool  # the review project was created now
    sent: int  # new review tasks
    already: int  # review tasks that were there already


def _result(annotation: TaskAnnotation) -> list[dict[str, Any]]:
    return [
        {
            "id": f"r{index}",
            "from_name": region.group,
            "to_name": TEXT_NAME,
            "type": "labels",
            "value": {
                "start": region.start,
                "end": region.end,
                "text": region.text,
                "labels": [region.label],
            },
        }
        for index, region in enumerate(annotation.regions)
    ]


def adjudication_tasks(
    project_id: int, annotations: Sequence[TaskAnnotation], disagreements: Mapping[int, Sequence[str]]
) -> list[dict[str, Any]]:
    """One review task per task of `disagreements` (task id → what differs, one line each), with every
    annotator's work on it as a prediction (model_version `annotator <id>`)."""
    by_task: dict[int, list[TaskAnnotation]] = {}
    for annotation in annotations:
        if annotation.task_id in disagreements and not annotation.ground_truth:
            by_task.setdefault(annotation.task_id, []).append(annotation)
    tasks = []
    for task_id, found in sorted(by_task.items()):
        first = found[0]
        lines = list(disagreements[task_id])
        # The Data Manager shows data fields as columns in this order: the reason next to the text, in view.
        data = {
            "text": first.text,
            "reason": f"{counted(len(lines), 'sentence')} disputed: " + " | ".join(lines),
            "article_id": first.article_id,
            "lang": first.lang,
            "title": first.title or "",
            "review": "adjudicate",
            "review_key": f"adjudicate:{project_id}:{task_id}",
            "source_project": project_id,
            "source_task": task_id,
        }
        if first.sentences is not None:
            data["sentences"] = [list(span) for span in first.sentences]
        predictions = [
            {"model_version": f"annotator {annotation.annotator}", "result": _result(annotation)}
            for annotation in sorted(found, key=lambda a: a.annotation_id)
        ]
        tasks.append({"data": data, "predictions": predictions})
    return tasks


def _review_keys(client: Client, project_id: int) -> set[str]:
    def listing() -> set[str]:
        pager = client.sdk.tasks.list(
            project=project_id, fields="task_only", include="id,data", page_size=1000
        )
        return {str((task.data or {}).get("review_key")) for task in collect(pager, 1000)}

    return client.call(f"listing the tasks of project {project_id}", listing)


def send_review_tasks(
    project: str,
    tasks: Sequence[dict[str, Any]],
    *,
    schema_path: Path = DEFAULT_SCHEMA,
    guidelines: Path | None = None,
    client: Client | None = None,
) -> ReviewResult:
    """Create (or update) `<project> · review` with the project's labelling config and add the review tasks
    not already there. The project `project` must exist: reviews of a project nobody created are a typo."""
    from toolkit.labelstudio.project import init_project

    client = client or connect()
    client.project(project)
    title = review_title(project)
    init = init_project(title, schema_path=schema_path, guidelines=guidelines, client=client)
    present = set() if init.created else _review_keys(client, init.project_id)
    new = [task for task in tasks if task["data"]["review_key"] not in present]
    sent = 0
    for start in range(0, len(new), BATCH):
        batch = list(new[start : start + BATCH])
        try:
            client.post_json(f"projects/{init.project_id}/import", batch)
        except Exception as error:
            done = f"; {sent} were sent before it" if sent else ""
            raise ToolkitError(
                client.describe(error, f"importing review tasks into {title!r}")
                + f"{done}: run the same command again to send the rest (tasks there are skipped)"
            ) from None
        sent += len(batch)
    return ReviewResult(title, init.project_id, init.url, init.created, sent, len(tasks) - len(new))


def newest_decision(review: dict[str, Any], *, empty: bool) -> dict[str, Any] | None:
    """The newest annotation a lead submitted on a review task; a cancelled (skipped) one is no decision, nor
    an empty one unless `empty` (on a suspect sentence, "no claim, no entity here" is a decision)."""
    decisions = [
        a
        for a in review.get("annotations") or []
        if isinstance(a, dict) and not a.get("was_cancelled") and (empty or a.get("result"))
    ]
    return max(decisions, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0), default=None)


def merge_adjudications(
    tasks: list[dict[str, Any]],
    review_tasks: Sequence[dict[str, Any]],
    project_id: int,
    review_project_id: int,
) -> int:
    """Add each adjudication the lead submitted in the review project to its task in `tasks` (a project's
    export, changed in place), marked ground truth; return how many were added.

    A review task maps back by `source_task` (the task id in this project), else by article id. Its newest
    submitted annotation wins; cancelled (skipped) and empty ones are no decision. An adjudication already in
    the task (same annotation id) is not added twice.
    """
    by_id = {task.get("id"): task for task in tasks if isinstance(task, dict)}
    by_article = {
        str(task["data"].get("article_id")): task
        for task in tasks
        if isinstance(task, dict) and isinstance(task.get("data"), dict)
    }
    added = 0
    for review in review_tasks:
        data = review.get("data") or {}
        if data.get("review") != "adjudicate" or data.get("source_project") not in (None, project_id):
            continue
        decision = newest_decision(review, empty=False)
        if decision is None:
            continue
        target = by_id.get(data.get("source_task")) or by_article.get(str(data.get("article_id")))
        if target is None or target["data"].get("text") != data.get("text"):
            continue  # the article's task is gone or its text changed: the decision no longer applies
        annotations = target.setdefault("annotations", [])
        if any(a.get("id") == decision.get("id") for a in annotations if isinstance(a, dict)):
            continue
        merged = copy.deepcopy(decision)
        merged.update(
            task=target.get("id"),
            project=project_id,
            ground_truth=True,
            adjudication={"review_project": review_project_id, "review_task": review.get("id")},
        )
        annotations.append(merged)
        added += 1
    return added
