"""Label Studio JSON exports: parse, check every span, repair UTF-16 drift, and pick one annotation per task.

A full JSON export is a list of tasks; each task holds `data` (our text and article id) and `annotations`, each
annotation a `result` list of regions. Real exports hold cancelled (skipped) annotations, empty ones, and tasks
annotated by several people: all are counted here, so `pull` and `dataset build` report what they dropped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where
from toolkit.io import read_json
from toolkit.schema import TEXT_NAME, Schema
from toolkit.text.offsets import check_span, from_utf16
from toolkit.text.words import counted

__all__ = [
    "Region",
    "TaskAnnotation",
    "ExportReport",
    "ExportResult",
    "parse_export",
    "read_export",
    "choose_annotation",
    "label_counts",
]


@dataclass(frozen=True)
class Region:
    group: str
    label: str
    start: int
    end: int
    text: str


@dataclass
class TaskAnnotation:
    """One annotator's finished work on one task, with every span checked against the task text."""

    task_id: int
    annotation_id: int
    article_id: str
    text: str
    lang: str
    annotator: int | str | None
    regions: list[Region]
    ground_truth: bool = False
    updated_at: str = ""
    sentences: list[tuple[int, int]] | None = None
    title: str | None = None

    def regions_of(self, group: str) -> list[Region]:
        return [region for region in self.regions if region.group == group]


@dataclass
class ExportReport:
    tasks: int = 0
    annotations: int = 0
    kept: int = 0
    cancelled: int = 0
    empty: int = 0
    tasks_without_annotation: int = 0
    utf16_repaired: int = 0
    whitespace_trimmed: int = 0
    bad_spans: int = 0
    unknown_labels: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: ExportReport) -> None:
        """Fold another export's counts into this one (several exports feed one dataset)."""
        for name, value in other.__dict__.items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.problems.extend(other.problems)

    def summary(self) -> str:
        parts = [counted(self.tasks, "task"), f"{counted(self.kept, 'annotation')} kept"]
        for name in (
            "cancelled",
            "empty",
            "tasks_without_annotation",
            "utf16_repaired",
            "bad_spans",
            "unknown_labels",
        ):
            value = getattr(self, name)
            if value:
                parts.append(f"{value} {name.replace('_', ' ')}")
        return ", ".join(parts)


@dataclass
class ExportResult:
    annotations: list[TaskAnnotation]
    report: ExportReport


def _region(
    raw: dict[str, Any], text: str, schema: Schema, place: str, report: ExportReport, strict: bool
) -> Region | None:
    group_name = raw.get("from_name")
    value = raw.get("value") or {}
    labels = value.get("labels") or []
    if raw.get("type") != "labels" or raw.get("to_name", TEXT_NAME) != TEXT_NAME:
        return None  # other control tags (ratings, text areas) carry no span
    group = schema.groups.get(group_name)
    label = labels[0] if len(labels) == 1 else None
    if group is None or label not in group.values:
        report.unknown_labels += 1
        message = f"{place}: label {labels!r} in group {group_name!r} is not in the schema"
        if strict:
            raise ToolkitError(message + " (update annotations/schema.toml or fix the annotation)")
        report.problems.append(message)
        return None
    start, end, expected = value.get("start"), value.get("end"), value.get("text")
    problem = check_span(text, start, end, expected)
    if problem and isinstance(start, int) and isinstance(end, int):
        # The browser counts UTF-16 code units; Python counts code points. Offsets that match once converted
        # were drifted by emoji or other non-BMP characters before them: repair rather than lose the span.
        repaired_start, repaired_end = from_utf16(text, start), from_utf16(text, end)
        if (repaired_start, repaired_end) != (start, end) and not check_span(
            text, repaired_start, repaired_end, expected
        ):
            report.utf16_repaired += 1
            start, end, problem = repaired_start, repaired_end, None
    if not problem and text[start:end] != text[start:end].strip():
        # A selection dragged over a space or a line break: keep the words, count the repair.
        inner = text[start:end]
        start, end = start + len(inner) - len(inner.lstrip()), end - (len(inner) - len(inner.rstrip()))
        if start >= end:
            problem = "span holds only whitespace"
        else:
            report.whitespace_trimmed += 1
    if problem:
        report.bad_spans += 1
        if strict:
            raise ToolkitError(f"{place}: {problem}")
        report.problems.append(f"{place}: {problem}")
        return None
    return Region(group=group.name, label=label, start=start, end=end, text=text[start:end])


def parse_export(tasks: Any, schema: Schema, source: str | Path, *, strict: bool = True) -> ExportResult:
    """Check every task, annotation and span of a Label Studio JSON export.

    strict=True (dataset build) stops at the first bad span or unknown label with one line naming the file,
    task and annotation; strict=False (pull) drops them, counts them and lists them in `report.problems`.
    Cancelled (skipped) annotations and annotations with no region are dropped and counted either way.
    """
    if not isinstance(tasks, list):
        raise ToolkitError(f"{source}: not a Label Studio JSON export (expected a list of tasks)")
    report = ExportReport(tasks=len(tasks))
    kept: list[TaskAnnotation] = []
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ToolkitError(f"{where(source, task=index)}: not a Label Studio task (no `data` object)")
        task_id = task.get("id", index)
        if not isinstance(task_id, int) or isinstance(task_id, bool):
            raise ToolkitError(f"{where(source, task=index)}: task id must be an integer, got {task_id!r}")
        text = task["data"].get("text")
        if not isinstance(text, str):
            raise ToolkitError(f"{where(source, task=task_id)}: task data has no `text` string")
        annotations = task.get("annotations") or []
        kept_before = len(kept)
        if not isinstance(annotations, list):
            raise ToolkitError(f"{where(source, task=task_id)}: `annotations` must be a list")
        for annotation in annotations:
            if not isinstance(annotation, dict):
                raise ToolkitError(f"{where(source, task=task_id)}: an annotation is not a JSON object")
            report.annotations += 1
            if annotation.get("was_cancelled"):
                report.cancelled += 1
                continue
            place = f"{where(source, task=task_id)} annotation {annotation.get('id')}"
            if not isinstance(annotation.get("id", 0), int):
                raise ToolkitError(f"{place}: annotation id must be an integer")
            results = annotation.get("result") or []
            regions = [
                region
                for raw in results
                if (region := _region(raw, text, schema, place, report, strict)) is not None
            ]
            if not results:
                report.empty += 1
                continue
            data = task["data"]
            sentences = data.get("sentences")
            kept.append(
                TaskAnnotation(
                    task_id=task_id,
                    annotation_id=annotation.get("id") or 0,
                    article_id=str(data.get("article_id") or f"task-{task_id}"),
                    text=text,
                    lang=str(data.get("lang") or ""),
                    annotator=annotation.get("completed_by"),
                    regions=sorted(regions, key=lambda region: (region.start, region.end, region.group)),
                    ground_truth=bool(annotation.get("ground_truth")),
                    updated_at=str(annotation.get("updated_at") or ""),
                    sentences=[tuple(pair) for pair in sentences] if isinstance(sentences, list) else None,
                    title=data.get("title"),
                )
            )
        if len(kept) == kept_before:
            report.tasks_without_annotation += 1
    report.kept = len(kept)
    return ExportResult(annotations=kept, report=report)


def read_export(path: str | Path, schema: Schema, *, strict: bool = True) -> ExportResult:
    return parse_export(read_json(path), schema, path, strict=strict)


def choose_annotation(annotations: list[TaskAnnotation]) -> TaskAnnotation:
    """The one annotation of a task that goes into the dataset when several people annotated it.

    The rule: an annotation marked ground truth by a reviewer wins; otherwise the most recently updated one
    (a later pass is usually a correction); ties go to the lowest annotation id, so the choice is stable.
    """
    ranked = sorted(annotations, key=lambda annotation: annotation.annotation_id)
    # sort() is stable with reverse=True too, so equal (ground truth, time) keeps the lowest id first.
    ranked.sort(key=lambda annotation: (annotation.ground_truth, annotation.updated_at), reverse=True)
    return ranked[0]


def label_counts(annotations: list[TaskAnnotation]) -> Counter:
    return Counter(
        (region.group, region.label) for annotation in annotations for region in annotation.regions
    )
