"""Scores with flat names, the same for every run: `f1.SPECULATIVE`, `macro_f1`, `span_f1.ORG`, `span_f1`.

Sentence labels are scored with scikit-learn's classification report; entities at the span level with
conlleval semantics (a span counts only with its exact start, end and type).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from toolkit.text.bio import bio_to_spans

__all__ = ["classification_metrics", "span_metrics", "token_spans"]


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str], positive: str | None = None
) -> dict[str, float]:
    """Per-class precision/recall/F1/support, macro and weighted F1, accuracy; `positive_f1` for a chosen class."""
    from sklearn.metrics import classification_report

    present = [label for label in labels if label in set(y_true) | set(y_pred)]
    report = classification_report(y_true, y_pred, labels=present, output_dict=True, zero_division=0)
    metrics: dict[str, float] = {}
    for label in present:
        for name in ("precision", "recall", "f1-score", "support"):
            metrics[f"{name.removesuffix('-score')}.{label}"] = float(report[label][name])
    metrics["macro_f1"] = float(report["macro avg"]["f1-score"])
    metrics["weighted_f1"] = float(report["weighted avg"]["f1-score"])
    metrics["accuracy"] = float(
        sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / max(len(y_true), 1)
    )
    if positive is not None:
        metrics["positive_f1"] = metrics.get(f"f1.{positive}", 0.0)
    return metrics


def token_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """(first token, last token + 1, type) for each span of a BIO sequence."""
    positions = [(str(i), i, i + 1) for i in range(len(tags))]
    return {(span.start, span.end, span.label) for span in bio_to_spans(positions, tags)}


def span_metrics(true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> dict[str, float]:
    """Strict span precision/recall/F1, micro over all types (`span_f1`) and per type (`span_f1.ORG`)."""
    true_counts: Counter = Counter()
    pred_counts: Counter = Counter()
    hits: Counter = Counter()
    for truth, prediction in zip(true_tags, pred_tags, strict=True):
        gold, guessed = token_spans(truth), token_spans(prediction)
        true_counts.update(label for *_, label in gold)
        pred_counts.update(label for *_, label in guessed)
        hits.update(label for *_, label in gold & guessed)
    metrics: dict[str, Any] = {}
    for label in sorted(set(true_counts) | set(pred_counts)):
        metrics.update(_prf(f".{label}", hits[label], pred_counts[label], true_counts[label]))
        metrics[f"span_support.{label}"] = float(true_counts[label])
    metrics.update(_prf("", sum(hits.values()), sum(pred_counts.values()), sum(true_counts.values())))
    return metrics


def _prf(suffix: str, hits: int, predicted: int, expected: int) -> dict[str, float]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {f"span_precision{suffix}": precision, f"span_recall{suffix}": recall, f"span_f1{suffix}": f1}


def expected_calibration_error(
    y_true: Sequence[str], probabilities: Any, classes: Sequence[str], bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """ECE of the top-label confidence (equal-width bins), and the bins of the reliability diagram.

    Each bin: its confidence range, how many predictions fell in it, their mean confidence and how many of them
    were right. ECE is the count-weighted mean gap between confidence and accuracy: 0 for perfect calibration.
    """
    import numpy as np

    probabilities = np.asarray(probabilities, dtype=float)
    confidence = probabilities.max(axis=1)
    predicted = np.asarray(classes)[probabilities.argmax(axis=1)]
    correct = predicted == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    table, gap = [], 0.0
    for index in range(bins):
        members = which == index
        count = int(members.sum())
        mean_confidence = float(confidence[members].mean()) if count else 0.0
        accuracy = float(correct[members].mean()) if count else 0.0
        gap += count * abs(mean_confidence - accuracy)
        table.append(
            {
                "low": float(edges[index]),
                "high": float(edges[index + 1]),
                "count": count,
                "confidence": mean_confidence,
                "accuracy": accuracy,
            }  # fmt: skip
        )
    return gap / max(len(confidence), 1), table
