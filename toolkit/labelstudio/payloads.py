"""What a task and its pre-annotations look like in Label Studio: task data, checked predictions, model names.

Offsets are sent in code points, as Python counts. Measured on Label Studio 1.23.2 in a browser: its editor
splits the text into code points ([...text]) for highlighting and for saving regions, so a prediction at
Python's offsets highlights the right characters after emoji, and the same offsets converted to UTF-16 miss.
`OFFSET_UNIT` records this; `to_label_studio` is the one place to change if a later version counts UTF-16.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.schema import TEXT_NAME, Schema
from toolkit.text.offsets import check_span

__all__ = [
    "OFFSET_UNIT",
    "SHOWN_VERSION_CHARS",
    "task_data",
    "task_key",
    "to_label_studio",
    "check_predictions",
    "model_version_alias",
    "prediction_payload",
    "build_tasks",
    "VersionSet",
]

OFFSET_UNIT = "codepoint"


def task_data(article: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A task's data: the text and what identifies it; `extra` (an active-learning score) comes last."""
    return {
        "text": article.text,
        "article_id": article.id,
        "content_hash": article.content_hash,
        "lang": article.lang,
        "title": article.title or "",
        "sentences": [[start, end] for start, end in article.sentences],
        **(extra or {}),
    }


def task_key(data: dict[str, Any]) -> tuple[str, str]:
    return str(data.get("article_id")), str(data.get("content_hash"))


def to_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets as Label Studio 1.23.2 counts them: code points, Python's own (see the module docstring)."""
    return start, end


def check_predictions(articles: Sequence[Any], predictions: Sequence[Any], schema: Schema) -> int:
    """Raise one ToolkitError line for the first bad span (with how many are bad in all); return the span count."""
    by_id = {article.id: article for article in articles}
    problems: list[str] = []
    spans = 0
    for prediction in predictions:
        article = by_id.get(prediction.article_id)
        if article is None:
            problems.append(f"prediction for unknown article {prediction.article_id!r}")
            continue
        for span in prediction.spans:
            spans += 1
            group = schema.groups.get(span.group)
            if group is None:
                problem = f"group {span.group!r} is not a Labels group of the schema"
            elif span.label not in group.values:
                problem = f"label {span.label!r} is not in group {span.group!r}"
            elif not isinstance(span.score, int | float) or not math.isfinite(span.score):
                problem = f"score {span.score!r} is not a number"
            else:
                problem = check_span(article.text, span.start, span.end, span.text)
            if problem:
                problems.append(
                    f"article {article.id!r} {span.group}/{span.label} [{span.start}, {span.end}): {problem}"
                )
    if problems:
        more = f" ({len(problems)} bad spans in all)" if len(problems) > 1 else ""
        raise ToolkitError(f"prediction refused before sending, nothing was sent: {problems[0]}{more}")
    return spans


# Label Studio 1.23.2 shows a prediction's model_version in the annotation tabs and cuts a longer one to its first 8
# and last 6 characters ("toolkit-...ims v3").
SHOWN_VERSION_CHARS = 15


def _short_part(part: str) -> str:
    name, _, version = part.rpartition(" v")
    if name.startswith("toolkit-") and version.isdigit():
        return f"{name.removeprefix('toolkit-')} v{version}"
    prefix, _, number = part.rpartition("-")
    if prefix == "rules" and number.isdigit():
        return f"rules v{number}"
    return part


def model_version_alias(label: str) -> str:
    """The name Label Studio shows for a prediction, whole within SHOWN_VERSION_CHARS where it can be.

    `toolkit-claims v3` → `claims v3`, `rules-1` → `rules v1`; two models `entities v2 + claims v3` → `ent v2+cla v3`
    (names of 3 letters, run ids of 4 characters). A registered name is `toolkit-` + the task, so `claims v3` still
    names the registry version: models:/toolkit-claims/3.
    """
    parts = [_short_part(part) for part in label.split(" + ")]
    alias = " + ".join(parts)
    if len(alias) <= SHOWN_VERSION_CHARS or len(parts) == 1:
        return alias
    compact = []
    for part in parts:
        name, _, version = part.partition(" ")
        compact.append(f"{name} {version[:4]}" if name == "run" else f"{name[:3]} {version}".strip())
    return "+".join(compact)


class VersionSet(set):
    """The model versions a task has predictions from; a version counts as present under its alias too."""

    def __contains__(self, version: object) -> bool:
        return set.__contains__(self, version) or (
            isinstance(version, str) and set.__contains__(self, model_version_alias(version))
        )


def prediction_payload(article: Any, prediction: Any) -> dict[str, Any]:
    """A Label Studio prediction: regions on the <Text> tag with per-region scores, and the overall score.

    Its model_version is the short alias Label Studio shows whole (`claims v3`, `rules v1`); a Label Studio
    prediction has no other field to hold the full name, which `model_version_alias` keeps recoverable."""
    result = []
    for index, span in enumerate(prediction.spans):
        start, end = to_label_studio(article.text, span.start, span.end)
        result.append(
            {
                "id": f"{span.group[0]}{index}",
                "from_name": span.group,
                "to_name": TEXT_NAME,
                "type": "labels",
                "value": {"start": start, "end": end, "text": span.text, "labels": [span.label]},
                "score": round(float(span.score), 4),
            }
        )
    return {
        "model_version": model_version_alias(prediction.model_version),
        "score": round(float(prediction.score), 4),
        "result": result,
    }


def build_tasks(
    articles: Sequence[Any], predictions: Sequence[Any] | None, extras: dict[str, dict] | None = None
) -> list[dict[str, Any]]:
    """The exact JSON Label Studio imports: one task per article, its pre-annotation inside when there is one."""
    by_id = {prediction.article_id: prediction for prediction in predictions or ()}
    tasks = []
    for article in articles:
        task: dict[str, Any] = {"data": task_data(article, (extras or {}).get(article.id))}
        if article.id in by_id:
            task["predictions"] = [prediction_payload(article, by_id[article.id])]
        tasks.append(task)
    return tasks
