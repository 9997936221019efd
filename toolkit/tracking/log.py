"""What a run shows besides numbers: confusion matrices, the classification report, the examples it got wrong."""

from __future__ import annotations

from typing import Any

from toolkit.models.metrics import token_spans

__all__ = ["log_evaluation", "confusion_figure", "misclassified_rows"]


def confusion_figure(y_true: list[str], y_pred: list[str], labels: list[str], title: str):  # noqa: ANN201
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    figure, axes = plt.subplots(figsize=(1.1 * len(labels) + 3, 1.1 * len(labels) + 2.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, ax=axes, colorbar=False, xticks_rotation=45, cmap="Blues"
    )
    axes.set_title(title)
    figure.tight_layout()
    return figure


def _entity_type(tag: str) -> str:
    return tag[2:] if tag != "O" else "O"


def _render(tokens: list[str], spans: set) -> str:
    return "; ".join(f"{label}: {' '.join(tokens[start:end])}" for start, end, label in sorted(spans))


def misclassified_rows(task: str, rows: Any, truth: list, predicted: list) -> list[dict[str, Any]]:
    """One row per sentence the model got wrong, with what it should have said and what it said."""
    wrong = []
    for row, expected, guessed in zip(rows, truth, predicted, strict=True):
        if task == "claims":
            if expected != guessed:
                wrong.append(
                    {
                        "article_id": row["article_id"],
                        "text": row["text"],
                        "expected": expected,
                        "predicted": guessed,
                    }
                )
            continue
        gold, found = token_spans(expected), token_spans(list(guessed))
        if gold != found:
            expected_text, found_text = _render(row["tokens"], gold), _render(row["tokens"], found)
            wrong.append(
                {
                    "article_id": row["article_id"],
                    "text": row["text"],
                    "expected": expected_text,
                    "predicted": found_text,
                }
            )
    return wrong


def log_evaluation(
    task: str, scores: dict[str, dict[str, float]], predictions: dict[str, tuple], labels: list[str]
) -> None:
    """Log, per split: a confusion matrix PNG, the report as JSON, and the misclassified examples as a table."""
    import mlflow
    import pandas as pd
    from matplotlib import pyplot as plt

    mlflow.log_dict(scores, "classification_report.json")
    for split, (rows, truth, predicted) in predictions.items():
        if task == "claims":
            flat_true, flat_pred, axis = list(truth), list(predicted), labels
        else:
            # Entities are scored on spans; the matrix shows which types tokens get confused with.
            flat_true = [_entity_type(tag) for tags in truth for tag in tags]
            flat_pred = [_entity_type(tag) for tags in predicted for tag in tags]
            axis = [*labels, "O"]
        figure = confusion_figure(flat_true, flat_pred, axis, f"{task}: {split}")
        mlflow.log_figure(figure, f"confusion_matrix_{split}.png")
        plt.close(figure)
        wrong = misclassified_rows(task, rows, truth, predicted)
        frame = pd.DataFrame(wrong, columns=["article_id", "text", "expected", "predicted"])
        mlflow.log_table(frame, f"misclassified_{split}.json")
