"""Which labels are probably wrong: confident learning on out-of-fold probabilities (`toolkit review`).

The method is confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 2021). cleanlab is its reference implementation, but it is AGPL-3.0, which would bind the
toolkit's own licence for a few dozen lines; they are written here instead:

1. every sentence gets class probabilities from a model that never saw it (cross-validation, folds grouped by
   article so a sentence's neighbours are not in the training folds either);
2. each class j gets a threshold t_j: the mean probability of j over the sentences labelled j (how confident the
   model is, on average, when j is right);
3. a sentence's *confident label* is the most probable class among those whose probability reaches their
   threshold; when it exists and differs from the given label, the sentence is a suspect;
4. suspects are ranked by the margin between the confident label's probability and the given label's (largest
   first), or, with `ranked_by="self_confidence"` (cleanlab's default), by the given label's probability (lowest
   first). On 5 % injected noise in the shipped corpus (bench/label_noise.py, bench/RESULTS.md) self-confidence
   put 6-7 points more random flips among the first k suspects but 6-11 points fewer flips toward the most
   confusable status; real slips look like the second kind, so margin stays the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError

__all__ = [
    "Suspect",
    "Finding",
    "out_of_fold_probabilities",
    "confident_thresholds",
    "RANKINGS",
    "find_label_issues",
    "grouped_folds",
    "review",
    "review_claims",
    "review_rows",
]


@dataclass(frozen=True)
class Suspect:
    index: int  # position in the rows given
    given: str
    suggested: str
    given_probability: float
    suggested_probability: float

    @property
    def margin(self) -> float:
        return self.suggested_probability - self.given_probability


def grouped_folds(
    count: int, groups: Sequence[str], folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, held-out rows) of each fold, no article on both sides."""
    from sklearn.model_selection import GroupKFold

    if len(set(groups)) < folds:
        raise ToolkitError(f"{len(set(groups))} articles are too few for {folds} folds grouped by article")
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(count), groups=groups))


def out_of_fold_probabilities(
    estimator: Any, X: Any, y: Sequence[str], groups: Sequence[str], *, folds: int = 5, seed: int = 13
) -> tuple[np.ndarray, list[str]]:
    """(probabilities (n, classes), classes): each row predicted by a model fitted on the other articles' folds."""
    from sklearn.base import clone

    labels = np.asarray(y)
    classes = sorted(set(labels.tolist()))
    probabilities = np.zeros((len(labels), len(classes)))
    for train, held_out in grouped_folds(len(labels), groups, folds, seed):
        model = clone(estimator).fit(
            X[train] if hasattr(X, "shape") else [X[i] for i in train], labels[train]
        )
        part = model.predict_proba(X[held_out] if hasattr(X, "shape") else [X[i] for i in held_out])
        columns = [classes.index(label) for label in model.classes_]
        probabilities[np.ix_(held_out, columns)] = part  # a class absent from the training folds stays at 0
    return probabilities, classes


def confident_thresholds(y: Sequence[str], probabilities: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """t_j: the mean probability of class j over the rows labelled j (1.0 for a class nobody labelled)."""
    labels = np.asarray(y)
    return np.array(
        [
            probabilities[labels == label, index].mean() if np.any(labels == label) else 1.0
            for index, label in enumerate(classes)
        ]
    )


RANKINGS = ("margin", "self_confidence")


def find_label_issues(
    y: Sequence[str], probabilities: np.ndarray, classes: Sequence[str], ranked_by: str = "margin"
) -> list[Suspect]:
    """The rows whose confident label differs from their given label, most certain first: by `ranked_by`, the
    margin (largest first) or the given label's probability (lowest first)."""
    if ranked_by not in RANKINGS:
        raise ToolkitError(f"unknown ranking {ranked_by!r}: choose one of {', '.join(RANKINGS)}")
    labels = np.asarray(y)
    thresholds = confident_thresholds(labels, probabilities, classes)
    above = np.where(probabilities >= thresholds[None, :], probabilities, -1.0)
    confident = above.argmax(axis=1)
    has_confident = above.max(axis=1) >= 0
    given = np.array([list(classes).index(label) for label in labels])
    suspects = [
        Suspect(
            index=int(row),
            given=str(labels[row]),
            suggested=str(classes[confident[row]]),
            given_probability=float(probabilities[row, given[row]]),
            suggested_probability=float(probabilities[row, confident[row]]),
        )
        for row in np.flatnonzero(has_confident & (confident != given))
    ]
    if ranked_by == "self_confidence":
        return sorted(
            suspects, key=lambda suspect: (suspect.given_probability, -suspect.margin, suspect.index)
        )
    return sorted(suspects, key=lambda suspect: (-suspect.margin, suspect.index))


@dataclass(frozen=True)
class Finding:
    """A suspect with what a reviewer needs to judge it."""

    suspect: Any  # Suspect (claims) or review_spans.SpanSuspect (entities)
    article_id: str
    sentence_id: str
    split: str
    text: str  # the sentence
    start: int  # where the sentence starts in its article's text
    given: str  # the label the data holds, in words ("REPORTED", "ORG 'Acme'", "no entity on 'Acme'")
    suggested: str  # the model's reading, in words
    # Entities: the sentence's spans (characters of `text`) with the model's reading in place of the given one.
    spans: tuple[tuple[int, int, str], ...] = ()

    @property
    def task(self) -> str:
        return "claims" if isinstance(self.suspect, Suspect) else "entities"

    @classmethod
    def of(
        cls, suspect: Any, split: str, row: dict, given: str, suggested: str, spans: tuple = ()
    ) -> Finding:
        """The finding of `suspect`, on dataset row `row` of `split`."""
        return cls(
            suspect, row["article_id"], row["id"], split, row["text"], row["start"], given, suggested, spans
        )


def review_rows(
    dataset: Any, task: str, splits: Sequence[str]
) -> tuple[list[tuple[str, dict]], list, list, list]:
    """((split, row) pairs, X, y, article ids) of `splits` of a dataset, in the shape the task's estimator takes."""
    from toolkit.tasks import TASKS

    rows = [(split, row) for split in splits if split in dataset for row in dataset[split]]
    if not rows:
        raise ToolkitError(f"no rows in {', '.join(splits)}")
    X, y = [], []
    for split in splits:
        if split in dataset:
            part_X, part_y = TASKS[task].xy(dataset[split])
            X.extend(part_X), y.extend(part_y)
    return rows, X, y, [row["article_id"] for _, row in rows]


def review(
    data_dir: Any, experiment_path: Any, *, splits: Sequence[str] = ("train", "validation"), folds: int = 5,
    seed: int = 13,
) -> tuple[list[Finding], int]:  # fmt: skip
    """(suspects of the experiment's dataset, claims or entities, most certain first; sentences reviewed), the
    experiment's model giving the out-of-fold probabilities. The test split is left out by default: it
    measures, it is not tuned on."""
    from pathlib import Path

    from toolkit.dataset import load_dataset
    from toolkit.training.experiments import load_experiment

    experiment = load_experiment(experiment_path)
    dataset, _ = load_dataset(Path(data_dir), experiment.task)
    if experiment.task == "entities":
        from toolkit.training.review_spans import review_entities

        return review_entities(dataset, experiment, splits, folds, seed)
    return review_claims(dataset, experiment, splits, folds, seed)


def review_claims(
    dataset: Any, experiment: Any, splits: Sequence[str], folds: int, seed: int
) -> tuple[list[Finding], int]:
    """(Findings of a claims dataset, most certain first; sentences reviewed): see `review`."""
    from toolkit.training.experiments import build_estimator

    rows, texts, labels, groups = review_rows(dataset, "claims", splits)
    probabilities, classes = out_of_fold_probabilities(
        build_estimator(experiment, seed), np.array(texts, dtype=str), labels, groups, folds=folds, seed=seed
    )
    findings = [
        Finding.of(suspect, *rows[suspect.index], suspect.given, suspect.suggested)
        for suspect in find_label_issues(labels, probabilities, classes)
    ]
    return findings, len(rows)
