"""A dataset on disk: splits by article, the content hash that versions it, the manifest, atomic writes."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.tasks import task_spec

__all__ = ["SPLITS", "MANIFEST", "Manifest", "split_groups", "content_hash", "write_dataset", "load_dataset"]

SPLITS = ("train", "validation", "test")


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
    from toolkit.project import offline_hubs

    offline_hubs()
    from datasets import Dataset, DatasetDict, disable_progress_bars

    disable_progress_bars()
    from toolkit.io import check_writable

    output = Path(output)
    _check_replaceable(output)
    check_writable(output / MANIFEST)  # `-o notes.txt/data`: one line, before any work
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
            features = task_spec(task).features(names)
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
                "label_counts": {split: task_spec(task).label_counts(rows) for split, rows in splits.items()},
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


def load_dataset(path: Path, task: str):  # noqa: ANN201 - (DatasetDict, manifest dict); datasets imported lazily
    """The DatasetDict of one task (`claims` or `entities`) in a dataset directory, and its manifest."""
    from toolkit.project import offline_hubs

    offline_hubs()
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
