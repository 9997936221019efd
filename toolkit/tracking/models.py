"""Load a logged model without running its code: skops only, with the toolkit's own list of trusted types.

`mlflow.sklearn.load_model` obeys the model folder's MLmodel file: a `pickle` or `cloudpickle` model is unpickled
(its code runs), and a skops model is loaded trusting whatever types the folder itself lists. On a shared tracking
server anyone who can log a run could then run code on the machine of whoever loads it. Here the folder is
downloaded, its MLmodel is read as plain data and checked (sklearn flavour, skops format, a toolkit task), and the
model file is loaded with `skops.io.load(..., trusted=toolkit.models.SKOPS_TRUSTED_TYPES)`. The folder's own
trusted types, code paths and loader module are never used.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.tasks import TASKS

__all__ = ["LoadedModel", "load_model", "read_mlmodel", "load_skops"]

MLMODEL = "MLmodel"
# Without the key MLflow assumes pickle, and so do we: such a model is refused like any pickle.
DEFAULT_FORMAT = "pickle"
RETRAIN = "train it with `toolkit train`"


@dataclass
class LoadedModel:
    uri: str
    task: str
    model: Any
    version: str


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__


def _shown(value: Any, limit: int = 80) -> str:
    """A value read from someone else's file, quoted on one line (repr escapes newlines) and cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_mlmodel(model_uri: str, folder: Path) -> dict[str, Any]:
    """The MLmodel file of a downloaded model folder, as plain data (safe YAML: no tags, no objects)."""
    import yaml

    path = folder / MLMODEL
    if not path.is_file():
        raise ToolkitError(f"{model_uri}: not an MLflow model (no {MLMODEL} file in it)")
    try:
        conf = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ToolkitError(
            f"{model_uri}: its {MLMODEL} file is not readable YAML ({_first_line(exc)})"
        ) from None
    if not isinstance(conf, dict):
        raise ToolkitError(f"{model_uri}: its {MLMODEL} file is not a mapping")
    return conf


def _sklearn_flavour(model_uri: str, conf: dict[str, Any]) -> dict[str, Any]:
    """The sklearn flavour's settings, once its serialization format is known to be skops."""
    flavours = conf.get("flavors")
    flavour = flavours.get("sklearn") if isinstance(flavours, dict) else None
    if not isinstance(flavour, dict):
        names = ", ".join(_shown(name) for name in flavours) if isinstance(flavours, dict) else "none"
        raise ToolkitError(
            f"{model_uri}: refused: not a scikit-learn model (flavours: {names or 'none'}); {RETRAIN}"
        )
    serialization = flavour.get("serialization_format", DEFAULT_FORMAT)
    if serialization != "skops":
        raise ToolkitError(
            f"{model_uri}: refused: not a skops model (serialized with {_shown(serialization)}, which runs the "
            f"file's own code when loaded); the toolkit loads skops models only: {RETRAIN}"
        )
    return flavour


def _task(model_uri: str, conf: dict[str, Any]) -> str:
    metadata = conf.get("metadata")
    task = metadata.get("task") if isinstance(metadata, dict) else None
    if not isinstance(task, str) or task not in TASKS:
        raise ToolkitError(f"{model_uri}: not a toolkit model (its metadata names no task); {RETRAIN}")
    return task


def _model_file(model_uri: str, folder: Path, flavour: dict[str, Any]) -> Path:
    """The skops file the flavour names, which must lie inside the model folder."""
    name = flavour.get("pickled_model")
    if not isinstance(name, str) or not name:
        raise ToolkitError(f"{model_uri}: refused: its {MLMODEL} names no model file")
    root = folder.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ToolkitError(f"{model_uri}: refused: model file {_shown(name)} is not a file inside the model")
    return path


def load_skops(model_uri: str, path: Path) -> Any:
    """Load a skops file trusting only the types our estimators use; refuse any other type before loading."""
    import skops.io

    from toolkit.models import SKOPS_TRUSTED_TYPES

    trusted = list(SKOPS_TRUSTED_TYPES)
    try:
        found = skops.io.get_untrusted_types(file=path)
    except (
        Exception
    ) as exc:  # skops' readers raise many types on a damaged or hand-made file; all mean the same
        raise ToolkitError(
            f"{model_uri}: refused: {path.name} is not a readable skops file ({_first_line(exc)})"
        ) from None
    untrusted = sorted(set(found) - set(trusted))
    if untrusted:
        raise ToolkitError(
            f"{model_uri}: refused: {path.name} holds untrusted type{'s' if len(untrusted) > 1 else ''} "
            f"{', '.join(_shown(name) for name in untrusted)}; the toolkit loads only the types its own "
            "estimators use (toolkit.models.SKOPS_TRUSTED_TYPES)"
        )
    try:
        return skops.io.load(path, trusted=trusted)
    except Exception as exc:  # only trusted types are built here; a failure is a broken or foreign file
        raise ToolkitError(
            f"{model_uri}: cannot load {path.name} ({type(exc).__name__}: {_first_line(exc)})"
        ) from None


def _check_estimator(model_uri: str, model: Any, task: str) -> None:
    import toolkit.models

    expected = getattr(toolkit.models, TASKS[task].estimator)
    if not isinstance(model, expected):
        raise ToolkitError(
            f"{model_uri}: refused: its metadata says task {task} but it holds {type(model).__name__}, "
            f"not {expected.__name__}; {RETRAIN}"
        )


def load_model(model_uri: str) -> LoadedModel:
    """Load a model logged by `toolkit train` (skops with the toolkit's trusted types) and the task it serves.

    `model_uri` is anything MLflow can download (`runs:/ID/model`, `models:/toolkit-claims@champion`, a folder).
    Anything but a skops scikit-learn model holding only our estimators' types is refused before it is loaded.
    """
    import mlflow

    from toolkit.tracking import store

    if Path(model_uri).is_file():
        raise ToolkitError(
            f"{model_uri}: is a file, not a model; pass a model URI such as runs:/RUN_ID/model or "
            "models:/toolkit-claims@champion (`toolkit runs list` shows the runs)"
        )
    store.use_tracking(must_exist=True)
    with tempfile.TemporaryDirectory(prefix="toolkit-model-") as tmp:
        try:
            folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        except (mlflow.exceptions.MlflowException, OSError) as exc:
            raise ToolkitError(f"{model_uri}: cannot load the model ({_first_line(exc)})") from None
        if not folder.is_dir():
            raise ToolkitError(f"{model_uri}: is a file, not a model folder")
        conf = read_mlmodel(model_uri, folder)
        flavour = _sklearn_flavour(model_uri, conf)
        task = _task(model_uri, conf)
        model = load_skops(model_uri, _model_file(model_uri, folder, flavour))
    _check_estimator(model_uri, model, task)
    return LoadedModel(uri=model_uri, task=task, model=model, version=store.model_version_label(model_uri))
