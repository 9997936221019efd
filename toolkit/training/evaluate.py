"""`toolkit evaluate`: score a fitted model on any dataset the toolkit builds or imports. No MLflow here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.tasks import task_spec

__all__ = ["evaluate_model"]


def evaluate_model(
    model: Any,
    task: str,
    data_dir: Path,
    *,
    split: str = "validation",
    positive: str | None = None,
    output: Path | None = None,
    model_name: str = "",
) -> dict[str, float]:
    """Metrics of a fitted `task` model on one split; written as JSON to `output` when given."""
    from toolkit.dataset import load_dataset
    from toolkit.io import write_json_atomic
    from toolkit.training.fit import score_split

    spec = task_spec(task)
    dataset, _ = load_dataset(Path(data_dir), task)
    if split not in dataset:
        raise ToolkitError(
            f"{data_dir}: no {split!r} split in the {task} dataset (has: {', '.join(dataset)})"
        )
    X, y = spec.xy(dataset[split])
    labels = spec.labels(dataset[split])
    if positive is not None and (spec.sequence or positive not in labels):
        raise ToolkitError(
            f"--positive {positive!r} is not a class of {data_dir} (classes: {', '.join(labels)})"
        )
    metrics, _ = score_split(model, spec, X, y, labels, positive)
    if output is not None:
        write_json_atomic(
            output, {"model": model_name, "data": str(data_dir), "split": split, "metrics": metrics}
        )
    return metrics
