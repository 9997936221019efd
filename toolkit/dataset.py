"""Label Studio exports → a versioned `datasets` DatasetDict per task (claims, entities), split by article.

On disk, a dataset directory holds `claims/` and/or `entities/` (each a DatasetDict saved with save_to_disk,
splits train/validation/test) and `manifest.json`: the full content hash that versions it, where it came from,
and what was dropped. Public corpora imported by `toolkit dataset import` produce the same layout.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.exports import ExportReport, TaskAnnotation, choose_annotation, latest_snapshot, read_export
from toolkit.ingest.sentences import sentence_offsets
from toolkit.schema import DEFAULT_SCHEMA, Schema, load_schema
from toolkit.spans import Span, spans_to_bio, tokenize_with_boundaries

__all__ = [
    "SPLITS",
    "DEFAULT_EXPORTS",
    "BuildResult",
    "Manifest",
    "build_dataset",
    "latest_snapshots",
    "training_snapshots",
    "DEFAULT_TRAINING",
    "split_groups",
    "write_dataset",
    "load_dataset",
    "content_hash",
]

SPLITS = ("train", "validation", "test")
DEFAULT_EXPORTS = Path("annotations/exports")
DEFAULT_TRAINING = Path("annotations/training.toml")
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    content_hash: str
    tasks: dict[str, dict[str, Any]]
    sources: list[dict[str, str]]
    seed: int
    schema_digest: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    built_at: str = ""

    @property
    def version(self) -> str:
        return self.content_hash[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, **self.__dict__}


@dataclass
class BuildResult:
    output: Path
    manifest: Manifest
    report: ExportReport
    duplicate_annotations: int


def training_snapshots(config: Path = DEFAULT_TRAINING, root: Path | None = None) -> list[Path]:
    """The newest snapshot of each project `config` lists (`projects = [...]`), from `root` (default: the
    `exports` folder beside the config). A listed project without a snapshot is an error, not a silent gap."""
    from toolkit.io import parse_toml, read_text

    projects = parse_toml(read_text(config), str(config)).get("projects")
    if not isinstance(projects, list) or not projects or not all(isinstance(p, str) and p for p in projects):
        raise ToolkitError(f'{config}: expected projects = ["folder", ...] naming at least one project')
    root = config.parent / "exports" if root is None else root
    snapshots = []
    for project in projects:
        snapshot = latest_snapshot(root / project)
        if snapshot is None:
            raise ToolkitError(f"{config}: project {project!r} has no snapshot in {root / project}")
        snapshots.append(snapshot)
    return snapshots


def latest_snapshots(root: Path = DEFAULT_EXPORTS) -> list[Path]:
    """The newest export of each project folder under `root` (snapshot names sort by time)."""
    if not root.is_dir():
        raise ToolkitError(f"{root}: no exports folder; pass export files or run `toolkit pull` first")
    latest = [snapshot for folder in sorted(root.iterdir()) if (snapshot := latest_snapshot(folder))]
    if not latest:
        raise ToolkitError(
            f"{root}: no export snapshots found; pass export files or run `toolkit pull` first"
        )
    return latest


def split_groups(
    groups: Sequence[str], languages: dict[str, str], seed: int, fractions: tuple[float, float]
) -> dict[str, str]:
    """Assign each group (article) to a split, seeded, so no article is in two splits.

    Each language is cut separately, so French and English both appear in every split. Articles are ordered by
    a seeded hash of their own id, not shuffled as a list: adding articles to a project moves at most the
    one or two at a split's boundary, so test sets of successive dataset versions stay comparable.
    """
    validation_fraction, test_fraction = fractions
    if min(fractions) < 0 or validation_fraction + test_fraction >= 1:
        raise ToolkitError(
            f"validation {validation_fraction} + test {test_fraction} leave no article for training; "
            "their sum must be below 1"
        )
    assignment = {}
    by_language: dict[str, list[str]] = defaultdict(list)
    for group in sorted(set(groups)):
        by_language[languages.get(group, "")].append(group)
    for language in sorted(by_language):
        members = sorted(
            by_language[language], key=lambda group: hashlib.sha256(f"{seed}\0{group}".encode()).hexdigest()
        )
        n_test = round(len(members) * test_fraction)
        n_validation = round(len(members) * validation_fraction)
        for index, group in enumerate(members):
            assignment[group] = (
                "test" if index < n_test else "validation" if index < n_test + n_validation else "train"
            )
    return assignment


def _claim_label(start: int, end: int, claims: list[Span], none_label: str) -> str:
    """The status of the claim that covers most of the sentence; NONE when no claim touches it."""
    best, best_overlap = none_label, 0
    for claim in claims:
        overlap = min(end, claim.end) - max(start, claim.start)
        if overlap > best_overlap:
            best, best_overlap = claim.label, overlap
    return best


def _rows(annotation: TaskAnnotation, schema: Schema, counters: Counter) -> tuple[list[dict], list[dict]]:
    claims = [Span(r.start, r.end, r.label) for r in annotation.regions_of(schema.claims.name)]
    entities = [Span(r.start, r.end, r.label) for r in annotation.regions_of(schema.entities.name)]
    claim_rows, entity_rows = [], []
    for index, (start, end) in enumerate(
        sentence_offsets(annotation.text, annotation.lang, annotation.sentences)
    ):
        sentence = annotation.text[start:end]
        row_id = f"{annotation.article_id}:{index}"
        common = {
            "id": row_id,
            "article_id": annotation.article_id,
            "lang": annotation.lang,
            "text": sentence,
        }
        claim_rows.append(
            {
                **common,
                "label": _claim_label(start, end, claims, schema.claim_classes[0]),
                "start": start,
                "end": end,
            }
        )
        inside = [
            Span(s.start - start, s.end - start, s.label)
            for s in entities
            if s.start >= start and s.end <= end
        ]
        counters["entities_across_sentences"] += sum(
            1 for s in entities if s.start < end and s.end > start and not (s.start >= start and s.end <= end)
        )
        tokens = tokenize_with_boundaries(sentence, [b for s in inside for b in (s.start, s.end)])
        tags = spans_to_bio(tokens, inside)
        tagged = sum(tag.startswith("B-") for tag in tags)
        counters["entities"] += tagged
        counters["entities_not_aligned"] += len(inside) - tagged
        entity_rows.append(
            {
                **common,
                "start": start,
                "tokens": [token for token, _, _ in tokens],
                "starts": [token_start for _, token_start, _ in tokens],
                "ends": [token_end for _, _, token_end in tokens],
                "tags": tags,
            }
        )
    return claim_rows, entity_rows


def content_hash(tables: dict[str, dict[str, list[dict]]], label_names: dict[str, list[str]]) -> str:
    """SHA-256 over every row of every split, in order, and the label names: the dataset's full identity."""
    digest = hashlib.sha256()
    digest.update(json.dumps(label_names, sort_keys=True).encode())
    for task in sorted(tables):
        for split in SPLITS:
            for row in tables[task].get(split, []):
                digest.update(json.dumps([task, split, row], sort_keys=True, ensure_ascii=False).encode())
                digest.update(b"\n")
    return digest.hexdigest()


def _features(task: str, label_names: list[str]):  # noqa: ANN202 - datasets.Features, imported lazily
    from datasets import ClassLabel, Features, List, Value

    common = {
        "id": Value("string"),
        "article_id": Value("string"),
        "lang": Value("string"),
        "text": Value("string"),
    }
    if task == "claims":
        return Features(
            {**common, "label": ClassLabel(names=label_names), "start": Value("int32"), "end": Value("int32")}
        )
    return Features(
        {
            **common,
            "start": Value("int32"),
            "tokens": List(Value("string")),
            "starts": List(Value("int32")),
            "ends": List(Value("int32")),
            "tags": List(ClassLabel(names=label_names)),
        }
    )


def _label_counts(task: str, rows: list[dict]) -> dict[str, int]:
    """Sentences per class for claims; entity spans (B- tags) per type for entities."""
    if task == "claims":
        counts = Counter(row["label"] for row in rows)
    else:
        counts = Counter(tag[2:] for row in rows for tag in row["tags"] if tag.startswith("B-"))
    return dict(sorted(counts.items()))


def _check_replaceable(output: Path) -> None:
    """Only an empty folder or an earlier toolkit dataset may be replaced: never a user's other files."""
    if not output.exists():
        return
    if not output.is_dir():
        raise ToolkitError(f"{output}: is a file, not a dataset folder; choose another --output")
    if any(output.iterdir()) and not (output / MANIFEST).is_file():
        raise ToolkitError(
            f"{output}: not a toolkit dataset (no {MANIFEST}) and not empty; refusing to replace it"
        )


def write_dataset(
    output: Path,
    tables: dict[str, dict[str, list[dict]]],
    label_names: dict[str, list[str]],
    *,
    sources: list[dict[str, str]],
    seed: int,
    schema_digest: str | None = None,
    report: dict[str, Any] | None = None,
) -> Manifest:
    """Save `tables` (task → split → rows) as DatasetDicts with a manifest, atomically.

    Everything is written into a temporary folder beside `output` and renamed into place at the end, so an
    error or an interruption never leaves a half-built dataset where a good one was.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from datasets import Dataset, DatasetDict, disable_progress_bars

    disable_progress_bars()
    output = Path(output)
    _check_replaceable(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(
        content_hash=content_hash(tables, label_names),
        tasks={},
        sources=sources,
        seed=seed,
        schema_digest=schema_digest,
        report=report or {},
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
        for task, splits in tables.items():
            names = label_names[task]
            features = _features(task, names)
            dataset_dict = DatasetDict(
                {split: Dataset.from_list(rows, features=features) for split, rows in splits.items() if rows}
            )
            dataset_dict.save_to_disk(str(staging / task))
            manifest.tasks[task] = {
                "labels": names,
                "rows": {split: len(rows) for split, rows in splits.items()},
                "articles": {
                    split: len({row["article_id"] for row in rows}) for split, rows in splits.items()
                },
                "label_counts": {split: _label_counts(task, rows) for split, rows in splits.items()},
            }
        (staging / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n")
        if output.exists():
            previous = output.with_name(f".{output.name}.previous")
            shutil.rmtree(previous, ignore_errors=True)
            output.rename(previous)
            staging.rename(output)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def build_dataset(
    exports: Sequence[Path] = (),
    output: Path = Path("data/sample"),
    *,
    schema_path: Path = DEFAULT_SCHEMA,
    seed: int = 13,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> BuildResult:
    """Build the claims and entities datasets from Label Studio exports (default: the newest snapshot of each
    project `annotations/training.toml` lists).

    Every span is checked (offsets, text, label) and a bad one stops the build with one line naming the
    export and task. Cancelled and empty annotations are dropped and counted. An article can have several
    annotations: several people on one task, a new task after its text changed, or several exports. The one
    `choose_annotation` picks goes in (a reviewer's ground truth, else the most recent), with its own text;
    the others are counted as not chosen.
    """
    schema = load_schema(schema_path)
    exports = list(exports) or training_snapshots()
    report = ExportReport()
    by_article: dict[str, list[TaskAnnotation]] = defaultdict(list)
    sources = []
    for path in exports:
        result = read_export(path, schema, strict=True)
        report.add(result.report)
        for annotation in result.annotations:
            by_article[annotation.article_id].append(annotation)
        sources.append({"path": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()})
    if not by_article:
        raise ToolkitError(
            f"{', '.join(map(str, exports))}: no usable annotation (all cancelled, empty or missing)"
        )
    chosen = {
        article_id: choose_annotation(annotations) for article_id, annotations in sorted(by_article.items())
    }
    duplicates = sum(len(annotations) - 1 for annotations in by_article.values())
    assignment = split_groups(
        list(chosen),
        {a: annotation.lang for a, annotation in chosen.items()},
        seed,
        (validation_fraction, test_fraction),
    )
    if "train" not in assignment.values():
        raise ToolkitError(
            f"{len(chosen)} annotated articles leave none for training at validation {validation_fraction} "
            f"and test {test_fraction}; lower them or annotate more articles"
        )
    tables: dict[str, dict[str, list[dict]]] = {
        "claims": {s: [] for s in SPLITS},
        "entities": {s: [] for s in SPLITS},
    }
    counters: Counter = Counter()
    for article_id, annotation in chosen.items():
        claim_rows, entity_rows = _rows(annotation, schema, counters)
        tables["claims"][assignment[article_id]].extend(claim_rows)
        tables["entities"][assignment[article_id]].extend(entity_rows)
    extra = {
        **{k: v for k, v in report.__dict__.items() if k != "problems"},
        "articles": len(chosen),
        "annotations_not_chosen": duplicates,
        **counters,
    }
    manifest = write_dataset(
        output,
        tables,
        {"claims": schema.claim_classes, "entities": schema.bio_tags},
        sources=sources,
        seed=seed,
        schema_digest=schema.digest,
        report=extra,
    )
    return BuildResult(
        output=Path(output), manifest=manifest, report=report, duplicate_annotations=duplicates
    )


def load_dataset(path: Path, task: str):  # noqa: ANN201 - (DatasetDict, manifest dict); datasets imported lazily
    """The DatasetDict of one task (`claims` or `entities`) in a dataset directory, and its manifest."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from datasets import load_from_disk

    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ToolkitError(
            f"{path}: not a toolkit dataset (no {MANIFEST}); build one with `toolkit dataset build`"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if not (path / task).is_dir():
        raise ToolkitError(
            f"{path}: has no {task!r} dataset (it has: {', '.join(manifest.get('tasks', {})) or 'none'})"
        )
    return load_from_disk(str(path / task)), manifest
