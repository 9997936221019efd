"""Label Studio JSON exports: parse, check every span, repair UTF-16 drift, and pick one annotation per task.

A full JSON export is a list of tasks; each task holds `data` (our text and article id) and `annotations`, each
annotation a `result` list of regions. Real exports hold cancelled (skipped) annotations, empty ones, and tasks
annotated by several people: all are counted here, so `pull` and `dataset build` report what they dropped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, where
from toolkit.io import read_json
from toolkit.labelstudio.snapshots import SNAPSHOT_FORMAT
from toolkit.schema import TEXT_NAME, Schema
from toolkit.text.offsets import check_span, from_utf16
from toolkit.text.sentences import sentence_offsets
from toolkit.text.words import counted

__all__ = [
    "Region",
    "TaskAnnotation",
    "ExportReport",
    "ExportResult",
    "parse_export",
    "read_export",
    "export_name",
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
    tasks_without_article_id: int = 0
    utf16_repaired: int = 0
    whitespace_trimmed: int = 0
    spans_without_text: int = 0
    unverifiable_spans: int = 0
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
        """`86 tasks, 92 annotations kept, 4 cancelled, ...`: every count that is not zero, repairs included."""
        parts = [counted(self.tasks, "task"), f"{counted(self.kept, 'annotation')} kept"]
        for name, (noun, happened) in _SUMMARY.items():
            if value := getattr(self, name):
                parts.append(f"{counted(value, noun) if noun else value} {happened}")
        return ", ".join(parts)


# What each count means on the console, dropped things first, then repairs: (noun, what happened to them).
_SUMMARY = {
    "cancelled": ("", "cancelled"),
    "empty": ("", "empty"),
    "tasks_without_annotation": ("task", "without annotation"),
    "bad_spans": ("bad span", "dropped"),
    "unknown_labels": ("unknown label", "dropped"),
    "unverifiable_spans": ("span", "without text after an emoji dropped (UTF-16 or code points: unknowable)"),
    "utf16_repaired": ("UTF-16 offset pair", "repaired"),
    "whitespace_trimmed": ("span", "trimmed of surrounding spaces"),
    "tasks_without_article_id": ("task", "without article id (named after their export)"),
    "spans_without_text": ("span", "without text (offsets only range-checked)"),
}


@dataclass
class ExportResult:
    annotations: list[TaskAnnotation]
    report: ExportReport


def _kind(value: Any) -> str:
    """A JSON value's kind as the user wrote it: object, list, string, number, boolean, null."""
    kinds = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number" if isinstance(value, int | float) else type(value).__name__)


def _expect(value: Any, types: type | tuple, field: str, wanted: str, place: str) -> Any:
    """`value` if it is one of `types` (bool is never an int here), else a ToolkitError naming the field."""
    if isinstance(value, types) and not isinstance(value, bool):
        return value
    raise ToolkitError(f"{place}: `{field}` must be {wanted}, got {_kind(value)}")


def _first_astral(text: str) -> int:
    """Index of the first character outside the BMP (an emoji), or len(text): from there on, code points and
    the UTF-16 units older Label Studio front ends counted differ."""
    return next((index for index, char in enumerate(text) if ord(char) > 0xFFFF), len(text))


def _region(
    raw: Any,
    text: str,
    astral: int,
    schema: Schema,
    place: str,
    field_of: str,
    report: ExportReport,
    strict: bool,
) -> Region | None:
    """The checked span of one region (`field_of`, e.g. `result[2]`, of the annotation at `place`), or None."""
    _expect(raw, dict, field_of, "a region object", place)
    if raw.get("type") != "labels" or raw.get("to_name", TEXT_NAME) != TEXT_NAME:
        return None  # other control tags (ratings, text areas, relations) carry no span
    group_name = _expect(raw.get("from_name"), str, f"{field_of}.from_name", "a string", place)
    value = _expect(raw.get("value"), dict, f"{field_of}.value", "an object", place)
    labels = _expect(value.get("labels"), list, f"{field_of}.value.labels", "a list of label names", place)
    for label in labels:
        _expect(label, str, f"{field_of}.value.labels", "a list of label names (strings)", place)
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
    if expected is not None:
        _expect(expected, str, f"{field_of}.value.text", "a string", place)
    problem = check_span(text, start, end, expected)
    if problem and isinstance(start, int) and isinstance(end, int) and expected is not None:
        # The browser counts UTF-16 code units; Python counts code points. Offsets that match once converted
        # were drifted by emoji or other non-BMP characters before them: repair rather than lose the span.
        repaired_start, repaired_end = from_utf16(text, start), from_utf16(text, end)
        if (repaired_start, repaired_end) != (start, end) and not check_span(
            text, repaired_start, repaired_end, expected
        ):
            report.utf16_repaired += 1
            start, end, problem = repaired_start, repaired_end, None
    if not problem and expected is None:
        # Without the text, drift cannot be seen: after an emoji the offsets may count either way.
        if end > astral:
            report.unverifiable_spans += 1
            message = (
                f"{place}: span [{start}, {end}) lies after an emoji and has no `value.text`, so whether its"
                " offsets count UTF-16 units or code points cannot be checked"
            )
            if strict:
                raise ToolkitError(message + " (export it again with the span text)")
            report.problems.append(message)
            return None
        report.spans_without_text += 1
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


def export_name(source: str | Path) -> str:
    """What names an export in the ids of its tasks that carry no article id: a snapshot's project folder (the
    same across pulls, so such a task keeps its split), else the file's name without its extension."""
    path = Path(str(source))
    try:
        datetime.strptime(path.name, SNAPSHOT_FORMAT)
    except ValueError:
        return path.stem
    return path.parent.name or path.stem


def _task_fields(task: Any, index: int, source: str | Path, seen: dict[int, int]) -> tuple[int, dict]:
    """(task id, data) of a task whose shape is checked: an object with an integer id and a `data` object."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise ToolkitError(f"{where(source, task=index)}: not a Label Studio task (no `data` object)")
    task_id = task.get("id", index)
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise ToolkitError(f"{where(source, task=index)}: task id must be an integer, got {task_id!r}")
    if task_id in seen:
        raise ToolkitError(
            f"{where(source, task=task_id)}: task id {task_id} appears twice (tasks #{seen[task_id]} and #{index})"
        )
    seen[task_id] = index
    return task_id, task["data"]


def parse_export(tasks: Any, schema: Schema, source: str | Path, *, strict: bool = True) -> ExportResult:
    """Check every task, annotation and span of a Label Studio JSON export.

    The shape of everything read is checked first, in both modes: a task, annotation, region or field of the
    wrong kind is one ToolkitError naming the file, task and field. Then strict=True (dataset build) stops at
    the first bad span or unknown label with one line naming the file, task and annotation; strict=False (pull)
    drops them, counts them and lists them in `report.problems`. Cancelled (skipped) annotations and
    annotations with no region are dropped and counted either way.
    """
    if not isinstance(tasks, list):
        raise ToolkitError(f"{source}: not a Label Studio JSON export (expected a list of tasks)")
    report = ExportReport(tasks=len(tasks))
    kept: list[TaskAnnotation] = []
    seen: dict[int, int] = {}
    for index, task in enumerate(tasks):
        task_id, data = _task_fields(task, index, source, seen)
        place = where(source, task=task_id)
        text = data.get("text")
        if not isinstance(text, str):
            raise ToolkitError(f"{place}: task data has no `text` string")
        article_id = data.get("article_id")
        if article_id is None or article_id == "":
            # Ids of tasks that carry no article id must not meet across exports: task 3 of two projects
            # are two articles.
            report.tasks_without_article_id += 1
            article_id = f"task-{task_id}@{export_name(source)}"
        _expect(article_id, str | int, "data.article_id", "a string or an integer", place)
        lang = _expect(data.get("lang") or "", str, "data.lang", "a string", place)
        title = data.get("title")
        if title is not None:
            _expect(title, str, "data.title", "a string", place)
        sentences = None
        if data.get("sentences") is not None:
            try:
                sentences = sentence_offsets(text, lang, data["sentences"])
            except ToolkitError as error:
                raise ToolkitError(f"{place}: `data.sentences`: {error}") from None
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            raise ToolkitError(f"{place}: `annotations` must be a list, got {_kind(annotations)}")
        astral = _first_astral(text)
        kept_before = len(kept)
        for number, annotation in enumerate(annotations):
            if not isinstance(annotation, dict):
                raise ToolkitError(
                    f"{place}: `annotations[{number}]` must be an object, got {_kind(annotation)}"
                )
            report.annotations += 1
            if annotation.get("was_cancelled"):
                report.cancelled += 1
                continue
            annotation_id = annotation.get("id") or 0
            at = f"{place} annotation {annotation.get('id')}"
            _expect(annotation_id, int, "id", "an integer", at)
            results = annotation.get("result") or []
            _expect(results, list, "result", "a list of regions", at)
            annotator = annotation.get("completed_by")
            if isinstance(annotator, dict):  # some exports expand the user: keep its id
                annotator = annotator.get("id")
            if annotator is not None:
                _expect(annotator, int | str, "completed_by", "a user id", at)
            updated_at = annotation.get("updated_at") or ""
            _expect(updated_at, str, "updated_at", "a date string", at)
            regions = [
                region
                for position, raw in enumerate(results)
                if (region := _region(raw, text, astral, schema, at, f"result[{position}]", report, strict))
                is not None
            ]
            if not results:
                report.empty += 1
                continue
            kept.append(
                TaskAnnotation(
                    task_id=task_id,
                    annotation_id=annotation_id,
                    article_id=str(article_id),
                    text=text,
                    lang=lang,
                    annotator=annotator,
                    regions=sorted(regions, key=lambda region: (region.start, region.end, region.group)),
                    ground_truth=annotation.get("ground_truth") is True,
                    updated_at=updated_at,
                    sentences=sentences,
                    title=title,
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
