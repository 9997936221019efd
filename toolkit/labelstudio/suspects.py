"""Suspect labels in the review project: sent by `toolkit review --project NAME`, decisions pulled back.

A suspect task is one sentence: its text, the model's reading as a prediction (the claim status over the
sentence, or the sentence's entity spans with the suspect span changed the model's way), and the reason in the
task data (`given`, `suggested`, their probabilities), which the Data Manager shows as columns. The task records
where the sentence sits in its article (`article_id`, `sentence_start`) and which labels it is about (`group`).

The lead accepts the prediction, corrects it, or labels the sentence as it was, and submits. `toolkit pull` then
takes the annotation `dataset build` would choose for the article, replaces that group's regions inside the
sentence by the lead's (a claim that runs on past the sentence keeps its other part), and adds the result to the
article's task marked ground truth, so that it is chosen over the annotators' (and left out of the agreement
figures, like an adjudication). Several decisions on one article go into one annotation, oldest first.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolkit.labelstudio.adjudicate import ReviewResult, newest_decision, send_review_tasks
from toolkit.labelstudio.client import Client
from toolkit.schema import DEFAULT_SCHEMA, TEXT_NAME, Schema, load_schema

__all__ = ["suspect_tasks", "send_suspects", "merge_suspect_decisions"]


def _region(index: int, group: str, text: str, start: int, end: int, label: str) -> dict[str, Any]:
    value = {"start": start, "end": end, "text": text[start:end], "labels": [label]}
    return {"id": f"s{index}", "from_name": group, "to_name": TEXT_NAME, "type": "labels", "value": value}


def suspect_tasks(findings: Iterable[Any], schema: Schema) -> list[dict[str, Any]]:
    """One review task per suspect: `findings` are toolkit.training.review.Finding objects."""
    tasks = []
    for finding in findings:
        suspect, text = finding.suspect, finding.text
        if finding.task == "claims":
            group, key = schema.claims.name, f"suspect:{finding.sentence_id}:{suspect.given}"
            start, end = len(text) - len(text.lstrip()), len(text.rstrip())
            spans = [(start, end, suspect.suggested)] if suspect.suggested != schema.claim_classes[0] else []
            version = f"suggested {suspect.suggested}"
        else:
            where = suspect.given or suspect.suggested
            group, version = schema.entities.name, f"suggested: {suspect.kind} span"
            key = f"suspect:{finding.sentence_id}:{suspect.kind}:{where.start}-{where.end}"
            spans = [span for span in finding.spans if span[0] < span[1]]
        data = {
            "text": text,
            "task": finding.task,
            "reason": (
                f"labelled {finding.given} ({suspect.given_probability:.2f}), "
                f"model suggests {finding.suggested} ({suspect.suggested_probability:.2f})"
            ),
            "article_id": finding.article_id,
            "sentence_id": finding.sentence_id,
            "sentence_start": finding.start,
            "split": finding.split,
            "sentences": [[0, len(text)]],
            "review": "suspect",
            "review_key": key,
            "group": group,
            "given": finding.given,
            "suggested": finding.suggested,
            "given_probability": round(float(suspect.given_probability), 4),
            "suggested_probability": round(float(suspect.suggested_probability), 4),
        }
        result = [_region(index, group, text, *span) for index, span in enumerate(spans)]
        prediction = {
            "model_version": version,
            "score": round(float(suspect.suggested_probability), 4),
            "result": result,
        }
        tasks.append({"data": data, "predictions": [prediction]})
    return tasks


def send_suspects(
    project: str, findings: Iterable[Any], *, schema_path: Path = DEFAULT_SCHEMA, client: Client | None = None
) -> ReviewResult:
    """`toolkit review ... --project NAME`: the suspects as review tasks in `<project> · review`."""
    tasks = suspect_tasks(findings, load_schema(schema_path))
    return send_review_tasks(project, tasks, schema_path=schema_path, client=client)


def _chosen(annotations: Sequence[Any]) -> dict[str, Any]:
    """The annotation `dataset build` takes from a task's raw export (exports.choose_annotation's rule)."""
    from types import SimpleNamespace

    from toolkit.labelstudio.exports import choose_annotation

    usable = [
        SimpleNamespace(
            raw=a,
            annotation_id=a.get("id") or 0,
            ground_truth=a.get("ground_truth") is True,
            updated_at=a.get("updated_at") or "",
        )
        for a in annotations
        if isinstance(a, dict) and not a.get("was_cancelled") and a.get("result")
    ]
    return choose_annotation(usable).raw if usable else {"result": []}  # type: ignore[arg-type]


def _apply(result: list[dict[str, Any]], text: str, review: dict[str, Any], decision: dict[str, Any]) -> list:
    """`result` with the review's group replaced, inside its sentence, by the lead's regions."""
    data = review["data"]
    begin, group = data["sentence_start"], data["group"]
    end = begin + len(data["text"])
    kept = []
    for region in result:
        value = region.get("value") or {}
        start, stop = value.get("start"), value.get("end")
        if region.get("from_name") != group or not isinstance(start, int) or stop <= begin or start >= end:
            kept.append(region)
        elif data.get("task") == "claims":
            # A claim may run over several sentences: its parts outside this one keep their status. (An entity
            # crossing the sentence's edge goes with the rest: the dataset keeps no such entity anyway.)
            for piece_start, piece_end in ((start, begin), (end, stop)):
                if text[piece_start:piece_end].strip():
                    piece = copy.deepcopy(region)
                    piece["id"] = f"{region.get('id')}-{piece_start}"
                    piece["value"].update(start=piece_start, end=piece_end, text=text[piece_start:piece_end])
                    kept.append(piece)
    for region in decision.get("result") or []:
        value = region.get("value") or {}
        if region.get("from_name") != group or not isinstance(value.get("start"), int):
            continue
        moved = copy.deepcopy(region)
        start, stop = begin + value["start"], begin + value["end"]
        moved["id"] = f"review{review.get('id')}-{region.get('id')}"
        moved["value"].update(start=start, end=stop, text=text[start:stop])
        kept.append(moved)
    return kept


def merge_suspect_decisions(
    tasks: list[dict[str, Any]],
    review_tasks: Sequence[dict[str, Any]],
    project_id: int,
    review_project_id: int,
) -> int:
    """Write the lead's decisions on suspect sentences into `tasks` (a project's export, changed in place): per
    article, one annotation marked ground truth (see the module's docstring); return how many decisions."""
    by_article = {
        str(task["data"].get("article_id")): task
        for task in tasks
        if isinstance(task, dict) and isinstance(task.get("data"), dict)
    }
    pending: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for review in review_tasks:
        data = review.get("data") or {}
        decision = newest_decision(review, empty=True) if data.get("review") == "suspect" else None
        target = by_article.get(str(data.get("article_id")))
        if decision is None or target is None or not isinstance(data.get("sentence_start"), int):
            continue
        begin, sentence = data["sentence_start"], str(data.get("text"))
        if target["data"].get("text", "")[begin : begin + len(sentence)] != sentence:
            continue  # the article changed since the review: the decision no longer applies
        pending.setdefault(id(target), []).append((review, decision))
    applied = 0
    for task in tasks:
        decisions = sorted(pending.get(id(task), []), key=lambda pair: pair[1].get("updated_at") or "")
        if not decisions:
            continue
        annotations = task.setdefault("annotations", [])
        base = _chosen(annotations)
        merged = copy.deepcopy(base)
        result = list(merged.get("result") or [])
        for review, decision in decisions:
            result = _apply(result, task["data"]["text"], review, decision)
        last = decisions[-1][1]
        merged.pop("adjudication", None)
        merged.update(
            id=last.get("id"),
            result=result,
            task=task.get("id"),
            project=project_id,
            completed_by=last.get("completed_by"),
            ground_truth=True,
            was_cancelled=False,
            created_at=last.get("created_at"),
            # Later than the annotation it was made from, so that it is chosen over it, even over an adjudication.
            updated_at=max(last.get("updated_at") or "", base.get("updated_at") or ""),
            review={
                "review_project": review_project_id,
                "review_tasks": [review.get("id") for review, _ in decisions],
                "based_on": base.get("id"),
            },
        )
        annotations.append(merged)
        applied += len(decisions)
    return applied
