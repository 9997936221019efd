"""Which entity spans are probably wrong: confident learning on out-of-fold tag marginals (`toolkit review`).

The claims review (review.py) has one label per sentence; here a sentence has spans, and an error is a span
missing, a span too many, a wrong type or wrong boundaries. Confident learning carries over at the token level and
is then read span by span:

1. every sentence gets per-token tag marginals (the CRF's forward-backward) and a best tag path (Viterbi) from an
   EntityTagger that never saw its article (folds grouped by article, as for claims);
2. each tag j gets a threshold t_j, the mean marginal of j over the tokens labelled j; a span's threshold is the
   mean of its tokens' tag thresholds (B-X on the first token, I-X after), and "no entity" over a span uses t_O;
3. the given spans are compared with the predicted ones: a predicted span that touches no given span is a
   *missing* suspect, a given span no predicted span touches is an *extra* one, the same tokens with another type
   a *type* suspect, overlapping tokens with other boundaries a *boundary* suspect; each is kept only when the
   model's reading of those tokens (the mean marginal of its tags there) reaches that reading's threshold;
4. suspects are ranked, as claims are by default, by the margin between the model's reading and the given one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "TokenSpan",
    "SpanSuspect",
    "span_tags",
    "out_of_fold_marginals",
    "find_span_issues",
    "review_entities",
]


@dataclass(frozen=True)
class TokenSpan:
    start: int  # first token
    end: int  # one past the last token
    label: str


@dataclass(frozen=True)
class SpanSuspect:
    index: int  # sentence, position in the rows given
    kind: str  # missing, extra, type, boundary
    given: TokenSpan | None  # None: the tokens carry no entity (missing)
    suggested: TokenSpan | None  # None: the model reads no entity there (extra)
    given_probability: float
    suggested_probability: float

    @property
    def margin(self) -> float:
        return self.suggested_probability - self.given_probability


def span_tags(spans: Sequence[TokenSpan], length: int) -> list[str]:
    tags = ["O"] * length
    for span in spans:
        tags[span.start : span.end] = [f"B-{span.label}"] + [f"I-{span.label}"] * (span.end - span.start - 1)
    return tags


def _spans(tags: Sequence[str]) -> list[TokenSpan]:
    from toolkit.text.bio import bio_to_spans

    tokens = [("", i, i + 1) for i in range(len(tags))]
    return [TokenSpan(s.start, s.end, s.label) for s in bio_to_spans(tokens, list(tags))]


def out_of_fold_marginals(
    estimator: Any,
    X: Sequence[Sequence[str]],
    y: Sequence[Sequence[str]],
    groups: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 13,
) -> tuple[list[np.ndarray], list[list[str]], list[str]]:
    """(per sentence (tokens, tags) marginals, per sentence Viterbi tags, tags): each sentence tagged by a model
    fitted on the other articles' folds. `tags` holds O and the B-/I- tag of every type in `y`."""
    from sklearn.base import clone

    from toolkit.training.review import grouped_folds

    types = sorted({tag[2:] for tags in y for tag in tags if tag != "O"})
    tags = ["O", *[f"{prefix}-{kind}" for kind in types for prefix in ("B", "I")]]
    marginals: list[np.ndarray] = [np.zeros((len(s), len(tags))) for s in X]
    predicted: list[list[str]] = [["O"] * len(s) for s in X]
    for train, held_out in grouped_folds(len(X), groups, folds, seed):
        model = clone(estimator).fit([X[i] for i in train], [y[i] for i in train])
        columns = [tags.index(tag) for tag in model.classes_]  # a type absent from the training folds stays 0
        sentences = [X[i] for i in held_out]
        for i, part, path in zip(
            held_out, model.predict_marginals(sentences), model.predict(sentences), strict=True
        ):
            marginals[i][:, columns] = part
            predicted[i] = list(path)
    return marginals, predicted, tags


def find_span_issues(
    y: Sequence[Sequence[str]],
    marginals: Sequence[np.ndarray],
    predicted: Sequence[Sequence[str]],
    tags: list[str],
) -> list[SpanSuspect]:
    """The spans where the model's confident reading differs from the given tags, most certain first."""
    from toolkit.training.review import confident_thresholds

    flat = [tag for sentence in y for tag in sentence]
    thresholds = confident_thresholds(flat, np.vstack([m for m in marginals if len(m)]), tags)
    column = {tag: index for index, tag in enumerate(tags)}
    outside = column["O"]

    def reading(probabilities: np.ndarray, span: TokenSpan | None, where: TokenSpan) -> tuple[float, float]:
        """(mean marginal, mean threshold) of `span`'s tags over its tokens, or of O over `where`'s."""
        if span is None:
            return float(probabilities[where.start : where.end, outside].mean()), float(thresholds[outside])
        wanted = [column[tag] for tag in span_tags([span], span.end)[span.start :]]
        rows = np.arange(span.start, span.end)
        return float(probabilities[rows, wanted].mean()), float(thresholds[wanted].mean())

    suspects = []
    for index, (given_tags, probabilities, path) in enumerate(zip(y, marginals, predicted, strict=True)):
        given, found = _spans(given_tags), _spans(path)
        for span in found:
            touching = [g for g in given if g.start < span.end and span.start < g.end]
            if span in touching:
                continue
            other = touching[0] if touching else None
            suggested_p, threshold = reading(probabilities, span, span)
            if suggested_p < threshold:
                continue
            if other is None:
                kind = "missing"
            else:
                kind = "type" if (other.start, other.end) == (span.start, span.end) else "boundary"
            given_p, _ = reading(probabilities, other, span)
            suspects.append(SpanSuspect(index, kind, other, span, given_p, suggested_p))
        for span in given:
            if any(f.start < span.end and span.start < f.end for f in found):
                continue
            suggested_p, threshold = reading(probabilities, None, span)
            if suggested_p >= threshold:
                given_p, _ = reading(probabilities, span, span)
                suspects.append(SpanSuspect(index, "extra", span, None, given_p, suggested_p))
    return sorted(suspects, key=lambda s: (-s.margin, s.index, (s.given or s.suggested).start))


def review_entities(
    dataset: Any, experiment: Any, splits: Sequence[str], folds: int, seed: int
) -> tuple[list[Any], int]:
    """(Findings of an entities dataset, most certain first; sentences reviewed): see review.review."""
    from toolkit.training.experiments import build_estimator
    from toolkit.training.review import Finding, review_rows

    rows, X, y, groups = review_rows(dataset, "entities", splits)
    marginals, predicted, tags = out_of_fold_marginals(
        build_estimator(experiment, seed), X, y, groups, folds=folds, seed=seed
    )
    findings = []
    for suspect in find_span_issues(y, marginals, predicted, tags):
        split, row = rows[suspect.index]
        corrected = [span for span in _spans(y[suspect.index]) if span != suspect.given]
        if suspect.suggested is not None:
            corrected.append(suspect.suggested)
        where = suspect.given or suspect.suggested
        given, suggested = _describe(row, suspect.given, where), _describe(row, suspect.suggested, where)
        spans = tuple(_chars(row, span) for span in sorted(corrected, key=lambda s: s.start))
        findings.append(Finding.of(suspect, split, row, given, suggested, spans))
    return findings, len(rows)


def _chars(row: dict, span: TokenSpan) -> tuple[int, int, str]:
    """A token span in characters of the sentence's text."""
    return row["starts"][span.start], row["ends"][span.end - 1], span.label


def _describe(row: dict, span: TokenSpan | None, where: TokenSpan) -> str:
    """ORG 'Acme Corp', or no entity on 'Acme Corp'."""
    start, end, _ = _chars(row, span or where)
    words = row["text"][start:end]
    return f"no entity on {words!r}" if span is None else f"{span.label} {words!r}"
