"""`toolkit evaluate`: score any MLflow model on any dataset the toolkit builds or imports."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["evaluate_model"]


def evaluate_model(
    model_uri: str,
    data_dir: Path,
    *,
    split: str = "validation",
    positive: str | None = None,
    output: Path | None = None,
) -> dict[str, float]:
    """Metrics of the model on one split; written as JSON to `output` when given."""
    from toolkit.dataset import load_dataset
    from toolkit.io import write_json_atomic
    from toolkit.predict import load_model
    from toolkit.training.fit import score_split, task_data

    loaded = load_model(model_uri)
    dataset, _ = load_dataset(Path(data_dir), loaded.task)
    if split not in dataset:
        raise ToolkitError(
            f"{data_dir}: no {split!r} split in the {loaded.task} dataset (has: {', '.join(dataset)})"
        )
    X, y = task_data(dataset[split], loaded.task)
    labels = list(dataset[split].features["label"].names) if loaded.task == "claims" else []
    if positive is not None and loaded.task == "claims" and positive not in labels:
        raise ToolkitError(
            f"--positive {positive!r} is not a class of {data_dir} (classes: {', '.join(labels)})"
        )
    metrics, _ = score_split(loaded.model, loaded.task, X, y, labels, positive)
    if output is not None:
        write_json_atomic(
            output, {"model": model_uri, "data": str(data_dir), "split": split, "metrics": metrics}
        )
    return metrics
