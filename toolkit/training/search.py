"""Hyper-parameter search for `toolkit train`: a grid or random search, cross-validated by article.

    [search]
    method = "grid"                     # or "random"
    params = {C = [0.5, 2.0], use_cues = [false, true]}   # estimator parameter → values to try
    n_iter = 4                          # random only: how many candidates to draw (default 10, at most the grid)
    cv = 3                              # folds; every sentence of an article stays in one fold
                                        # or cv = "language": train on all languages but one, score on it
                                        # or cv = "source": train on all corpus parts but one, score on it
    scoring = "macro_f1"                # claims: macro_f1 (default), weighted_f1, accuracy; entities: span_f1

The best candidate is refit on the whole train split and becomes the run's model; `toolkit train` scores it on
validation and test like any other model; `toolkit.tracking.log` logs one nested run per candidate with its CV scores.

`cv = "language"` leaves one language out per fold (train on fr, score en; train on en, score fr): the search then
chooses what carries to a language, and so to a source, the model never saw, rather than what fits the mix.
`cv = "source"` leaves one part of the corpus out per fold: a part is a language and the leading letters of the
article ids (`source_group`: the shipped corpus has fr (WiNER), en/en (MEANTIME) and en/newssd), so the search
scores what carries to a source it never saw even within one language.

With a Dask scheduler (`on_dask(ADDRESS)` around the fit, or `run_search(..., scheduler=ADDRESS)`) the candidates'
fits run on that cluster's workers through joblib's Dask backend; the workers need the toolkit installed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import prod
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.training.experiments import ESTIMATORS, Experiment, as_param, build_estimator, estimator_class

__all__ = [
    "SearchSpec",
    "Candidate",
    "SearchOutcome",
    "SCORINGS",
    "parse_search",
    "folds",
    "run_search",
    "on_dask",
    "param_text",
    "describe",
    "source_group",
]

METHODS = ("grid", "random")
KEYS = ("cv", "method", "n_iter", "params", "scoring")
# The first scoring of each task is its default.
SCORINGS = {"claims": ("macro_f1", "weighted_f1", "accuracy"), "entities": ("span_f1",)}
DEFAULT_FOLDS = 3
DEFAULT_ITERATIONS = 10
LANGUAGE_CV = "language"
SOURCE_CV = "source"


@dataclass(frozen=True)
class SearchSpec:
    method: str
    params: dict[str, list[Any]]
    cv: int | str  # a number of folds grouped by article, "language" or "source"
    scoring: str
    n_iter: int | None = None

    @property
    def grid_size(self) -> int:
        return prod(len(values) for values in self.params.values())

    @property
    def n_candidates(self) -> int:
        return (
            self.grid_size
            if self.method == "grid"
            else min(self.n_iter or DEFAULT_ITERATIONS, self.grid_size)
        )


@dataclass
class Candidate:
    index: int
    params: dict[str, Any]
    mean: float
    std: float
    folds: list[float]
    rank: int
    fit_seconds: float


@dataclass
class SearchOutcome:
    spec: SearchSpec
    model: Any  # the best candidate, refit on the whole train split
    best_index: int
    best_params: dict[str, Any]
    candidates: list[Candidate] = field(default_factory=list)
    seconds: float = 0.0
    n_jobs: int = 1

    @property
    def best(self) -> Candidate:
        return self.candidates[self.best_index]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_search(experiment: Experiment) -> SearchSpec | None:
    """The experiment's [search] table, checked; None without one. Each mistake is one line naming the key."""
    raw = experiment.search
    if not raw:
        return None
    path, estimator = experiment.path, experiment.estimator
    for key in raw:
        if key not in KEYS:
            raise ToolkitError(f"{path}: unknown key `search.{key}` (known: {', '.join(KEYS)})")
    method = raw.get("method", "grid")
    if method not in METHODS:
        raise ToolkitError(f'{path}: `search.method` must be "grid" or "random", got {method!r}')
    params = raw.get("params")
    if not isinstance(params, dict) or not params:
        raise ToolkitError(
            f"{path}: `search.params` must be a table of estimator parameters to values, "
            "e.g. params = {C = [0.5, 1.0, 2.0]}"
        )
    known = set(estimator_class(estimator)().get_params(deep=False))
    for name, values in params.items():
        if name not in known:
            raise ToolkitError(
                f"{path}: unknown key `search.params.{name}` for {estimator} (known: {', '.join(sorted(known))})"
            )
        if not isinstance(values, list) or not values:
            raise ToolkitError(
                f"{path}: `search.params.{name}` must be a non-empty array of values, got {values!r}"
            )
    n_iter = raw.get("n_iter")
    if n_iter is not None:
        if method != "random":
            raise ToolkitError(f'{path}: `search.n_iter` only applies to method = "random"')
        if not _is_int(n_iter) or n_iter < 1:
            raise ToolkitError(f"{path}: `search.n_iter` must be an integer >= 1, got {n_iter!r}")
    cv = raw.get("cv", DEFAULT_FOLDS)
    if cv not in (LANGUAGE_CV, SOURCE_CV) and (not _is_int(cv) or cv < 2):
        raise ToolkitError(
            f'{path}: `search.cv` must be an integer >= 2 (folds), "{LANGUAGE_CV}" or "{SOURCE_CV}", got {cv!r}'
        )
    task = ESTIMATORS[estimator][2]
    scoring = raw.get("scoring", SCORINGS[task][0])
    if scoring not in SCORINGS[task]:
        raise ToolkitError(
            f"{path}: `search.scoring` must be one of {', '.join(SCORINGS[task])} for {task}, got {scoring!r}"
        )
    return SearchSpec(
        method=method,
        params={name: [as_param(value) for value in values] for name, values in params.items()},
        cv=cv,
        scoring=scoring,
        n_iter=n_iter if method == "random" else None,
    )


class _ScoredRowsOnly:
    """Folds of `base` over the first `n_scored` rows (grouped by `groups`, the scored rows' groups); every
    row after them is added to each training fold."""

    def __init__(self, base: Any, n_scored: int, groups: list[str]):
        self.base, self.n_scored, self.groups = base, n_scored, groups

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.base.get_n_splits(range(self.n_scored), None, self.groups)

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[Any, Any]]:
        import numpy as np

        extra = np.arange(self.n_scored, len(X))
        for train, test in self.base.split(np.zeros(self.n_scored), None, self.groups):
            yield np.concatenate([train, extra]), test


def _span_f1(y_true: list, y_pred: list) -> float:
    from toolkit.models.metrics import span_metrics

    return span_metrics(y_true, [list(tags) for tags in y_pred])["span_f1"]


def _scorer(scoring: str) -> Any:
    from sklearn.metrics import f1_score, make_scorer

    if scoring == "span_f1":
        return make_scorer(_span_f1)
    if scoring == "accuracy":
        return "accuracy"
    # pos_label=None: averaged F1 has no positive class, and scikit-learn otherwise checks its default (1)
    # against the classes of a binary classifier with string labels (certain/uncertain) and refuses.
    return make_scorer(f1_score, average=scoring.removesuffix("_f1"), pos_label=None, zero_division=0)


def folds(cv: int | str, seed: int) -> Any:
    """`cv` folds that keep each article's sentences together, shuffled by `seed`; for "language" and "source",
    one fold per language or corpus part, held out in turn (the groups are then those of the sentences)."""
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    if cv in (LANGUAGE_CV, SOURCE_CV):
        return LeaveOneGroupOut()
    return GroupKFold(n_splits=cv, shuffle=True, random_state=seed)


@contextmanager
def on_dask(scheduler: str | None, *, timeout: float = 10.0) -> Iterator[None]:
    """Within it, scikit-learn's joblib work (a search's candidate fits) runs on the Dask cluster of
    `scheduler`; with None, nothing changes. An unreachable scheduler is a one-line ToolkitError."""
    if not scheduler:
        yield
        return
    import joblib
    from distributed import Client

    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ToolkitError(f"cannot reach the Dask scheduler at {scheduler!r} ({first})") from None
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()


def run_search(
    experiment: Experiment,
    spec: SearchSpec,
    X: Any,
    y: list,
    groups: list[str],
    *,
    seed: int,
    n_jobs: int = 1,
    languages: list[str] | None = None,
    scheduler: str | None = None,
    fit_params: dict[str, Any] | None = None,
    n_scored: int | None = None,
) -> SearchOutcome:
    """Cross-validate every candidate with folds grouped by article (or, with cv = "language", by the
    `languages` of the sentences, one per row of X), then refit the best on all of X; on the Dask cluster of
    `scheduler` when one is given (`n_jobs` then bounds the fits in flight, -1: no bound).

    With `n_scored`, only the first `n_scored` rows are cut into folds; the rows after them (mixed-in sources)
    join every training fold and are never scored. `fit_params` (sample weights...) go to every fit."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    # Folds are cut from the scored rows; rows past `n_scored` join every training fold (_ScoredRowsOnly).
    n_scored = len(y) if n_scored is None else n_scored
    groups = list(groups[:n_scored])
    languages = None if languages is None else languages[:n_scored]
    if n_jobs == 0:
        raise ToolkitError("--n-jobs must be a number of parallel jobs, or -1 for one per core; got 0")
    if spec.cv in (LANGUAGE_CV, SOURCE_CV):
        if languages is None or len(languages) != len(groups):
            raise ToolkitError(
                f'{experiment.path}: `search.cv` = "{spec.cv}" needs each sentence\'s language'
            )
        if spec.cv == LANGUAGE_CV:
            parts = list(languages)
        else:
            parts = [
                source_group(article, language) for article, language in zip(groups, languages, strict=True)
            ]
        if len(set(parts)) < 2:
            found = ", ".join(sorted(set(parts))) or "none"
            what = "languages" if spec.cv == LANGUAGE_CV else "sources (language/article id prefix)"
            raise ToolkitError(
                f'{experiment.path}: `search.cv` = "{spec.cv}" needs a train split in two {what} or more'
                f" (found: {found})"
            )
        groups, n_folds = parts, len(set(parts))
    else:
        articles, n_folds = len(set(groups)), spec.cv
        if articles < spec.cv:
            raise ToolkitError(
                f"{experiment.path}: `search.cv` = {spec.cv} folds but the train split has only {articles} articles"
            )
    splitter = folds(spec.cv, seed)
    if n_scored < len(y):
        splitter, groups = _ScoredRowsOnly(splitter, n_scored, groups), None
    common = {
        "scoring": _scorer(spec.scoring),
        "cv": splitter,
        "n_jobs": n_jobs,
        "refit": True,
        "error_score": "raise",
    }
    estimator = build_estimator(experiment, seed)
    if spec.method == "grid":
        search = GridSearchCV(estimator, spec.params, **common)
    else:
        search = RandomizedSearchCV(
            estimator, spec.params, n_iter=spec.n_candidates, random_state=seed, **common
        )
    began = time.monotonic()
    try:
        with on_dask(scheduler):
            search.fit(X, y, groups=groups, **(fit_params or {}))
    except ValueError as exc:
        raise ToolkitError(f"{experiment.path}: a search candidate failed to fit ({exc})") from None
    results = search.cv_results_
    candidates = [
        Candidate(
            index=index,
            params=dict(params),
            mean=float(results["mean_test_score"][index]),
            std=float(results["std_test_score"][index]),
            folds=[float(results[f"split{fold}_test_score"][index]) for fold in range(n_folds)],
            rank=int(results["rank_test_score"][index]),
            fit_seconds=float(results["mean_fit_time"][index]),
        )
        for index, params in enumerate(results["params"])
    ]
    return SearchOutcome(
        spec=spec,
        model=search.best_estimator_,
        best_index=int(search.best_index_),
        best_params=dict(search.best_params_),
        candidates=candidates,
        seconds=time.monotonic() - began,
        n_jobs=n_jobs,
    )


def source_group(article_id: str, language: str) -> str:
    """The corpus part of a sentence: its language and the letters its article id starts with ("en-100911" →
    en/en, "newssd-train-097" → en/newssd, "2016_01_01-001" → fr)."""
    letters = re.match(r"[A-Za-z]*", article_id).group(0).lower()
    return f"{language}/{letters}" if letters else language


def param_text(value: Any) -> str:
    """A parameter value as an MLflow param, written as in the experiment file: (1, 2) → [1, 2]."""
    return str(list(value)) if isinstance(value, tuple) else str(value)


def describe(params: dict[str, Any]) -> str:
    """`C=0.5, use_cues=True`: a candidate's parameters in a run name."""
    return ", ".join(f"{name}={param_text(value)}" for name, value in sorted(params.items()))
