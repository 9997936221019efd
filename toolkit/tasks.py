"""What differs between our two tasks, said once: a `TaskSpec` for claims and one for entities.

Claims label sentences (a class per row, scored by macro F1); entities label tokens (BIO tags per row, scored by
strict span F1). Every stage asks the spec instead of branching on the task's name: the dataset's columns and
features, a split's X and y in the shape our estimators take, the labels a report lists, the headline metric, the
registry name, and how a confusion matrix flattens predictions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit.errors import ToolkitError

__all__ = ["TaskSpec", "TASKS", "task_spec"]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    estimator: str  # the estimator an experiment file names for this task
    sequence: bool  # labels per token (True) or per sentence (False)
    label_column: str  # the dataset column holding the labels
    headline: str  # the metric a run is chosen and listed by
    scorings: tuple[str, ...]  # what a search may score by; the first is the default
    variant_param: str  # the estimator parameter that tells its variants apart in a run name

    @property
    def registered_model(self) -> str:
        """The registry name of the task's models: what `models:/NAME@champion` refers to."""
        return f"toolkit-{self.name}"

    def label_names(self, split: Any) -> list[str]:
        """The names behind the label column's ids (classes, or BIO tags)."""
        feature = split.features[self.label_column]
        return list(feature.feature.names if self.sequence else feature.names)

    def labels(self, split: Any) -> list[str]:
        """What a report lists: the classes, or the entity types without their B-/I- prefixes."""
        names = self.label_names(split)
        return sorted({tag[2:] for tag in names if tag != "O"}) if self.sequence else names

    def xy(self, split: Any) -> tuple[Any, list]:
        """(X, y) of one split in the shape our estimators take: sentences and labels, or tokens and BIO tags."""
        names = self.label_names(split)
        if self.sequence:
            return list(split["tokens"]), [[names[tag] for tag in tags] for tags in split["tags"]]
        import numpy as np

        return np.array(split["text"], dtype=str), [names[label] for label in split["label"]]

    def label_counts(self, rows: list[dict]) -> dict[str, int]:
        """Sentences per class, or entity spans (B- tags) per type."""
        if self.sequence:
            counts = Counter(tag[2:] for row in rows for tag in row["tags"] if tag.startswith("B-"))
        else:
            counts = Counter(row["label"] for row in rows)
        return dict(sorted(counts.items()))

    def features(self, label_names: list[str]) -> Any:
        """The `datasets.Features` of a split's rows."""
        from datasets import ClassLabel, Features, List, Value

        common = {
            "id": Value("string"),
            "article_id": Value("string"),
            "lang": Value("string"),
            "text": Value("string"),
        }
        if self.sequence:
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
        return Features(
            {**common, "label": ClassLabel(names=label_names), "start": Value("int32"), "end": Value("int32")}
        )

    def flat(self, truth: list, predicted: list, labels: list[str]) -> tuple[list, list, list[str]]:
        """(truth, predictions, axis) of a confusion matrix: classes, or the entity type of every token."""
        if not self.sequence:
            return list(truth), list(predicted), labels

        def kind(tag: str) -> str:
            return tag[2:] if tag != "O" else "O"

        return (
            [kind(tag) for tags in truth for tag in tags],
            [kind(tag) for tags in predicted for tag in tags],
            [*labels, "O"],
        )


TASKS: dict[str, TaskSpec] = {
    "claims": TaskSpec(
        name="claims",
        estimator="ClaimClassifier",
        sequence=False,
        label_column="label",
        headline="macro_f1",
        scorings=("macro_f1", "weighted_f1", "accuracy"),
        variant_param="classifier",
    ),
    "entities": TaskSpec(
        name="entities",
        estimator="EntityTagger",
        sequence=True,
        label_column="tags",
        headline="span_f1",
        scorings=("span_f1",),
        variant_param="feature_set",
    ),
}


def task_spec(name: str) -> TaskSpec:
    """The spec of a task by name; an unknown name is a one-line error listing the known ones."""
    if name not in TASKS:
        raise ToolkitError(f"unknown task {name!r} (known: {', '.join(TASKS)})")
    return TASKS[name]
