"""Active learning: which articles to label next, from the claim model's class probabilities per sentence.

Every strategy gives each article a score where higher means the model is less sure, so Label Studio's Data
Manager sorts the queue by it (descending):

- `uncertainty`: 1 - the mean over the article's sentences of the top class probability;
- `margin`: 1 - the mean gap between the two top class probabilities (a small gap: two statuses compete);
- `diverse`: uncertainty, picked greedily with a penalty for TF-IDF cosine similarity to the articles already
  picked, so near-duplicates (the same wire story twice) are spread out. Its score is the penalised one at the
  moment of picking, which never increases along the ranking.

An article without sentences scores 0: there is nothing in it for the claim model to learn.

A budget can count sentences instead of articles (`sentences=N`): the strategies rank short articles first (one
uncertain sentence is a high mean), so N articles can be a tenth of the annotation work of N random ones. With a
sentence budget the articles are taken in ranked order until they hold N sentences; the last one may take the
total past N, so that an article longer than the whole budget is still sent rather than nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.errors import ToolkitError

__all__ = ["STRATEGIES", "Pick", "uncertainty", "margin", "rank", "select", "within_budget"]

STRATEGIES = ("uncertainty", "margin", "diverse")
# How much a diverse pick's score drops per unit of cosine similarity to its nearest already-picked article.
SIMILARITY_PENALTY = 1.0


@dataclass(frozen=True)
class Pick:
    index: int  # into the candidates given
    score: float  # higher: the model is less sure
    rank: int  # 1 for the first article to label


def uncertainty(probabilities: np.ndarray) -> float:
    """1 - mean top class probability of an article's sentences (rows: sentences, columns: classes)."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.size == 0:
        return 0.0
    return float(1.0 - probabilities.max(axis=1).mean())


def margin(probabilities: np.ndarray) -> float:
    """1 - mean gap between the top two class probabilities of an article's sentences."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.size == 0:
        return 0.0
    if probabilities.shape[1] < 2:
        return 0.0
    top = np.sort(probabilities, axis=1)[:, -2:]
    return float(1.0 - (top[:, 1] - top[:, 0]).mean())


def _check(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise ToolkitError(f"unknown selection strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")


def rank(
    probabilities: Sequence[np.ndarray],
    strategy: str,
    texts: Sequence[str] | None = None,
    limit: int | None = None,
    sentences: int | None = None,
) -> list[Pick]:
    """The candidates in the order to label them (at most `limit`, and up to `sentences` sentences), each with
    its score.

    `probabilities[i]` holds candidate i's sentence × class probabilities; `diverse` also needs the candidates'
    `texts`. Ties keep the candidates' order, so a ranking is the same on every run."""
    _check(strategy)
    count = len(probabilities)
    limit = count if limit is None else max(0, min(limit, count))
    if sentences is not None:
        # Which articles fit depends on the order, so rank all of them (up to `limit`) and cut after.
        picks = rank(probabilities, strategy, texts, limit)
        sizes = [len(p) for p in probabilities]
        return picks[: within_budget([pick.index for pick in picks], sizes, sentences)]
    score_of = margin if strategy == "margin" else uncertainty
    base = np.array([score_of(p) for p in probabilities], dtype=float)
    if strategy != "diverse" or limit < 2:
        order = np.argsort(-base, kind="stable")[:limit]
        return [Pick(int(i), float(base[i]), position + 1) for position, i in enumerate(order)]
    if texts is None or len(texts) != count:
        raise ToolkitError("diverse selection needs the text of every candidate")
    return _diverse(base, texts, limit)


def within_budget(order: Sequence[int], sizes: Sequence[int], sentences: int) -> int:
    """How many of the candidates in `order` to take so that they hold `sentences` sentences, candidate i
    holding `sizes[i]`; the last one taken may take the total past the budget (none is taken after it)."""
    taken, total = 0, 0
    for index in order:
        if total >= sentences:
            break
        taken += 1
        total += sizes[index]
    return taken


def _diverse(base: np.ndarray, texts: Sequence[str], limit: int) -> list[Pick]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vectors = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)  # rows are L2-normalised
    except ValueError:  # no word in any text
        vectors = None
    nearest = np.zeros(len(base))  # cosine similarity to the closest picked article
    available = np.ones(len(base), dtype=bool)
    picks = []
    for position in range(limit):
        adjusted = np.where(available, base - SIMILARITY_PENALTY * nearest, -np.inf)
        chosen = int(np.argmax(adjusted))
        picks.append(Pick(chosen, float(adjusted[chosen]), position + 1))
        available[chosen] = False
        if vectors is not None:
            similarity = (vectors @ vectors[chosen].T).toarray().ravel()
            nearest = np.maximum(nearest, similarity)
    return picks


def select(
    probabilities: Sequence[np.ndarray],
    strategy: str,
    texts: Sequence[str] | None = None,
    limit: int | None = 0,
    sentences: int | None = None,
) -> list[int]:
    """The indices of the candidates to label next, at most `limit` of them and up to `sentences` sentences
    (random selection is the caller's, it needs no model)."""
    return [pick.index for pick in rank(probabilities, strategy, texts, limit, sentences)]
