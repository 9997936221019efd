"""Several corpora in one training run: `[[data.sources]]` datasets mixed into the experiment's train split.

The experiment's own dataset (`[data] path`) stays the one the run is judged by: its validation and test splits
are the run's `validation.*` and `test.*`, and a search's folds are cut from its rows only (a mixed-in source
always trains, never scores a candidate). Each source joins with

- a **weight**: every one of its sentences counts `weight` times one of the corpus's in the loss;
- a **label map** into our schema (`labels = {MISC = ""}`): "" drops a label (an entity becomes O, a sentence
  of that status leaves the source);
- for entities, the **types it annotates** (those left after the map): an O token of a source with no DATE layer
  may still be a date, so the tagger sums over those paths instead of learning that dates are O
  (`EntityTagger.fit(unannotated_types=...)`); and the types it annotates only **in part** (`partial =
  ["DATE"]`: WiNER's and HIPE's dates are absolute ones, their "jeudi" is O): an O token of it may be that type
  where our rule for the type matches (`EntityTagger.fit(partial_types=...)`).

Each source's own validation split, mapped the same way, is scored on its own: `validation.<name>.*` in the run,
the cross-source view of how the model carries. A source whose folder is absent is skipped and named in the
run (`data.sources.skipped`), unless it says `required = true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.tasks import TaskSpec
from toolkit.training.experiments import Experiment, Source

__all__ = ["LoadedSource", "TrainingSet", "labels_of", "load_sources", "training_set"]


@dataclass
class LoadedSource:
    source: Source
    version: str
    X: Any
    y: list
    groups: list[str]
    languages: list[str]
    validation: tuple[Any, list] | None  # (X, y) of its validation split, mapped
    types: set[str] = field(default_factory=set)  # entities: the types it annotates


@dataclass
class TrainingSet:
    """The train split with the sources mixed in (primary rows first) and what `fit` needs to pass along."""

    X: Any
    y: list
    groups: list[str]
    languages: list[str]
    n_primary: int
    fit_params: dict[str, Any]
    sources: list[LoadedSource]
    skipped: list[str]


def _map_entities(tags: list[list[str]], labels: dict[str, str]) -> list[list[str]]:
    def one(tag: str) -> str:
        if tag == "O" or tag[2:] not in labels:
            return tag
        target = labels[tag[2:]]
        return f"{tag[:2]}{target}" if target else "O"

    return [[one(tag) for tag in sentence] for sentence in tags]


def _xy(task: TaskSpec, split: Any, labels: dict[str, str]) -> tuple[Any, list, list[int]]:
    """(X, y, kept row indices) of a split with the source's label map applied."""
    X, y = task.xy(split)
    if task.sequence:
        return X, _map_entities(y, labels), list(range(len(y)))
    keep = [i for i, label in enumerate(y) if labels.get(label, label)]
    return X[keep], [labels.get(y[i], y[i]) for i in keep], keep


def labels_of(task: TaskSpec, y: list) -> set[str]:
    if task.sequence:
        return {tag[2:] for sentence in y for tag in sentence if tag != "O"}
    return set(y)


def load_source(source: Source, task: TaskSpec) -> LoadedSource:
    """A source's train split (and validation split, when it has one) with its label map applied."""
    from toolkit.dataset import load_dataset

    dataset, manifest = load_dataset(source.path, task.name)
    if "train" not in dataset:
        raise ToolkitError(f"source {source.name!r}: {source.path} has no train split")
    names = task.labels(dataset["train"])
    unknown = sorted(set(source.labels) - set(names))
    if unknown:
        raise ToolkitError(
            f"source {source.name!r}: its label map names {', '.join(unknown)}, which {source.path} does not"
            f" have (labels: {', '.join(names)})"
        )
    X, y, keep = _xy(task, dataset["train"], source.labels)
    if not keep:
        raise ToolkitError(f"source {source.name!r}: its label map leaves no train rows")
    train = dataset["train"]
    articles = list(train["article_id"])
    languages = list(train["lang"])
    validation = None
    if "validation" in dataset:
        vX, vy, _ = _xy(task, dataset["validation"], source.labels)
        validation = (vX, vy)
    types = labels_of(task, y) if task.sequence else set()
    return LoadedSource(
        source=source,
        version=manifest["version"],
        X=X,
        y=y,
        # Article ids of different corpora may collide: a source's articles are its own groups.
        groups=[f"{source.name}/{articles[i]}" for i in keep],
        languages=[languages[i] for i in keep],
        validation=validation,
        types=types,
    )


def load_sources(experiment: Experiment, task: TaskSpec) -> tuple[list[LoadedSource], list[str]]:
    """(the sources found, the names of the absent ones); a required source that is absent is an error."""
    loaded, skipped = [], []
    for source in experiment.sources:
        if not source.path.is_dir():
            if source.required:
                raise ToolkitError(
                    f"{experiment.path}: source {source.name!r} is required but {source.path} is not a folder"
                )
            skipped.append(source.name)
            continue
        loaded.append(load_source(source, task))
    return loaded, skipped


def training_set(
    experiment: Experiment,
    task: TaskSpec,
    X: Any,
    y: list,
    groups: list[str],
    languages: list[str],
) -> TrainingSet:
    """The experiment's train rows followed by every present source's (in `train_languages` when set)."""
    import numpy as np

    sources, skipped = load_sources(experiment, task)
    n_primary = len(y)
    if not sources:
        return TrainingSet(X, y, groups, languages, n_primary, {}, [], skipped)
    ours = labels_of(task, y)
    for loaded in sources:
        extra = sorted(labels_of(task, loaded.y) - ours)
        if extra:
            raise ToolkitError(
                f"{experiment.path}: source {loaded.source.name!r} has labels the corpus does not"
                f" ({', '.join(extra)}); map them into {', '.join(sorted(ours))} or drop them with"
                f' labels = {{{extra[0]} = ""}}'
            )
    weights = [1.0] * n_primary
    Xs, ys = [X], list(y)
    groups, languages = list(groups), list(languages)
    annotated: list[set[str] | None] = [None] * n_primary
    partial: list[tuple[str, ...]] = [()] * n_primary
    for loaded in sources:
        keep = range(len(loaded.y))
        if experiment.train_languages:
            keep = [i for i in keep if loaded.languages[i] in experiment.train_languages]
        keep = list(keep)
        Xs.append(loaded.X[keep] if not task.sequence else [loaded.X[i] for i in keep])
        ys += [loaded.y[i] for i in keep]
        groups += [loaded.groups[i] for i in keep]
        languages += [loaded.languages[i] for i in keep]
        weights += [loaded.source.weight] * len(keep)
        annotated += [loaded.types] * len(keep)
        partial += [loaded.source.partial] * len(keep)
    mixed_X = [row for part in Xs for row in part] if task.sequence else np.concatenate(Xs)
    fit_params: dict[str, Any] = {"sample_weight": np.asarray(weights)}
    if task.sequence:
        every_type = {tag[2:] for sentence in ys for tag in sentence if tag != "O"}
        fit_params["unannotated_types"] = [
            [] if types is None else sorted(every_type - types) for types in annotated
        ]
        if any(partial):
            fit_params["partial_types"] = [list(types) for types in partial]
    return TrainingSet(mixed_X, ys, groups, languages, n_primary, fit_params, sources, skipped)
