"""Experiment files (experiments/*.toml): what to train, on which data, with which parameters.

    [experiment]
    name = "claims-logreg"
    task = "claims"                 # or "entities"
    description = "TF-IDF words + characters, logistic regression"

    [model]
    estimator = "ClaimClassifier"   # or "EntityTagger"
    C = 4.0                         # any parameter of the estimator

    [data]
    path = "data/corpus"            # overridden by `toolkit train --data`
    train_languages = ["fr"]        # learn from French only (default: every language); scores stay per language

    [[data.sources]]                # more training data, mixed in (see toolkit.training.sources)
    name = "conll2003"
    path = "data/public/conll2003-en"
    weight = 0.5                    # each of its sentences counts half of one of the corpus's
    labels = {MISC = ""}            # its labels → ours; "" drops the label (entities: O; claims: the sentence)
    partial = ["DATE"]              # entities: types it labels only in part (absolute dates): O may be one on a rule match
    required = false                # absent folder: skipped, and the run says so (default)

Unknown sections or keys are refused with the file and key named, so a typo never silently trains defaults.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.io import parse_toml, read_text

__all__ = [
    "Experiment",
    "Source",
    "load_experiment",
    "ESTIMATORS",
    "TASKS",
    "build_estimator",
    "check_params",
    "estimator_class",
    "as_param",
    "flatten",
]

TASKS = ("claims", "entities")
# Estimator name in experiment files → (module, class, the task it serves).
ESTIMATORS = {
    "ClaimClassifier": ("toolkit.models.claims", "ClaimClassifier", "claims"),
    "EntityTagger": ("toolkit.models.tagger", "EntityTagger", "entities"),
}
SECTIONS = {
    "experiment": {"name", "task", "description"},
    "model": None,  # estimator parameters, checked against the estimator's own get_params()
    "data": {"path", "positive_label", "train_languages", "sources"},
    "search": None,  # hyper-parameter search, checked by toolkit.training.search
}


@dataclass(frozen=True)
class Source:
    """A dataset folder (`toolkit dataset import` or `build`) whose train split joins the experiment's."""

    name: str
    path: Path
    weight: float = 1.0
    labels: dict[str, str] = field(default_factory=dict)
    required: bool = False
    # Entity types it labels only in part: see EntityTagger.fit(partial_types=...).
    partial: tuple[str, ...] = ()


SOURCE_KEYS = {"name", "path", "weight", "labels", "required", "partial"}


@dataclass
class Experiment:
    path: Path
    name: str
    task: str
    description: str
    estimator: str
    params: dict[str, Any]
    data_path: Path | None
    source: str
    search: dict[str, Any] = field(default_factory=dict)
    positive_label: str | None = None
    train_languages: tuple[str, ...] = ()  # empty: every language of the train split
    sources: tuple[Source, ...] = ()  # datasets mixed into training, each scored on its own validation split

    @property
    def config(self) -> dict[str, Any]:
        return tomllib.loads(self.source)

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


def estimator_class(name: str) -> type:
    module, attribute, _ = ESTIMATORS[name]
    return getattr(import_module(module), attribute)


def as_param(value: Any) -> Any:
    # TOML has arrays, scikit-learn wants tuples for ranges such as ngram_range.
    return tuple(as_param(item) for item in value) if isinstance(value, list) else value


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; every mistake is one ToolkitError naming the file and the key."""
    path = Path(path)
    source = read_text(path)
    raw = parse_toml(source, path)
    for section, value in raw.items():
        if section not in SECTIONS:
            raise ToolkitError(f"{path}: unknown section [{section}] (known: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise ToolkitError(f"{path}: `{section}` must be a [{section}] table")
        known = SECTIONS[section]
        for key in value:
            if known is not None and key not in known:
                raise ToolkitError(
                    f"{path}: unknown key `{section}.{key}` (known: {', '.join(sorted(known))})"
                )
    experiment = raw.get("experiment", {})
    model = dict(raw.get("model", {}))
    data = raw.get("data", {})
    task = experiment.get("task")
    if task not in TASKS:
        raise ToolkitError(f"{path}: `experiment.task` must be one of {', '.join(TASKS)}, got {task!r}")
    estimator = model.pop("estimator", None)
    if estimator not in ESTIMATORS:
        raise ToolkitError(
            f"{path}: `model.estimator` must be one of {', '.join(ESTIMATORS)}, got {estimator!r}"
        )
    if ESTIMATORS[estimator][2] != task:
        raise ToolkitError(f"{path}: estimator {estimator} does not serve task {task!r}")
    known_params = set(estimator_class(estimator)().get_params(deep=False))
    for key in model:
        if key not in known_params:
            raise ToolkitError(
                f"{path}: unknown key `model.{key}` for {estimator} (known: {', '.join(sorted(known_params))})"
            )
    for key, wanted in (("path", "a folder path"), ("positive_label", "a label name")):
        if key in data and not isinstance(data[key], str):
            raise ToolkitError(
                f"{path}: `data.{key}` must be {wanted} (a string), got {toml_text(data[key])}"
            )
    return Experiment(
        path=path,
        name=str(experiment.get("name") or path.stem),
        task=task,
        description=str(experiment.get("description", "")),
        estimator=estimator,
        params={key: as_param(value) for key, value in model.items()},
        data_path=Path(data["path"]) if "path" in data else None,
        source=source,
        search=dict(raw.get("search", {})),
        positive_label=data.get("positive_label"),
        train_languages=_languages(data.get("train_languages"), path),
        sources=_sources(data.get("sources"), path, task),
    )


def _sources(value: Any, path: Path, task: str) -> tuple[Source, ...]:
    """`[[data.sources]]` tables, each checked key by key."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ToolkitError(f"{path}: `data.sources` must be [[data.sources]] tables")
    sources, names = [], set()
    for number, item in enumerate(value, 1):
        where = f"{path}: [[data.sources]] number {number}"
        unknown = sorted(set(item) - SOURCE_KEYS)
        if unknown:
            raise ToolkitError(
                f"{where}: unknown key `{unknown[0]}` (known: {', '.join(sorted(SOURCE_KEYS))})"
            )
        name, folder = item.get("name"), item.get("path")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
            raise ToolkitError(
                f"{where}: `name` must be a short name (letters, digits, - and _), got {name!r}"
            )
        if name in names or name in ("validation", "test", "train"):
            raise ToolkitError(f"{where}: the name {name!r} is already taken")
        names.add(name)
        if not isinstance(folder, str) or not folder:
            raise ToolkitError(f"{where}: `path` must be a dataset folder path (a string)")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight < math.inf:
            raise ToolkitError(f"{where}: `weight` must be a number above 0, got {toml_text(weight)}")
        labels = item.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise ToolkitError(f'{where}: `labels` must map labels to ours, e.g. {{MISC = ""}}')
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise ToolkitError(f"{where}: `required` must be true or false, got {toml_text(required)}")
        partial = item.get("partial", [])
        if partial and task != "entities":
            raise ToolkitError(
                f"{where}: `partial` is for entity sources (types labelled in part), not {task}"
            )
        if not isinstance(partial, list) or not all(isinstance(kind, str) and kind for kind in partial):
            raise ToolkitError(
                f'{where}: `partial` must list entity types, e.g. ["DATE"], got {toml_text(partial)}'
            )
        sources.append(Source(name, Path(folder), float(weight), dict(labels), required, tuple(partial)))
    return tuple(sources)


def _languages(value: Any, path: Path) -> tuple[str, ...]:
    """`[data] train_languages = ["fr"]`: learn from these languages only (every language when absent)."""
    from toolkit.project import LANGUAGES

    if value is None:
        return ()
    if not isinstance(value, list) or not value or any(item not in LANGUAGES for item in value):
        raise ToolkitError(
            f"{path}: `data.train_languages` must be a list of {', '.join(LANGUAGES)}, got {value!r}"
        )
    return tuple(value)


def toml_text(value: Any) -> str:
    """A value as the experiment file spells it: true, nan, inf, "logreg", [1, 2]."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, tuple | list):
        return f"[{', '.join(toml_text(item) for item in value)}]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def check_params(experiment: Experiment) -> None:
    """Check every `model.*` value, and every value `search.params` will try, against the estimator's own
    `_parameter_constraints` (scikit-learn's parameter validation); the first bad one is a ToolkitError naming
    the file and the key. A value that makes no sense would otherwise train, log and score 0, or crash."""
    from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

    constraints = getattr(estimator_class(experiment.estimator), "_parameter_constraints", {})
    values = [(f"model.{name}", name, value) for name, value in experiment.params.items()]
    grid = experiment.search.get("params")
    if isinstance(grid, dict):
        for name, options in grid.items():
            if isinstance(options, list):
                values += [(f"search.params.{name}", name, as_param(option)) for option in options]
    for key, name, value in values:
        if name not in constraints:
            continue
        try:
            validate_parameter_constraints(
                {name: constraints[name]}, {name: value}, caller_name=experiment.estimator
            )
        except InvalidParameterError as exc:
            found = re.search(r" must be (.*)\. Got ", str(exc))
            wanted = found.group(1) if found else str(exc)
            raise ToolkitError(
                f"{experiment.path}: `{key}` must be {wanted}, got {toml_text(value)}"
            ) from None


def build_estimator(experiment: Experiment, seed: int | None = None) -> Any:
    """A fresh, unfitted estimator with the experiment's parameters, checked (`check_params`); `seed` sets its
    random_state."""
    check_params(experiment)
    estimator = estimator_class(experiment.estimator)(**experiment.params)
    if seed is not None and "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"model": {"C": 4}}` → `{"model.C": "4"}`: nested config as MLflow params."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat
