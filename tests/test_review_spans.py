"""Confident learning on entity spans (toolkit.training.review_spans): crafted marginals, then a real tagger that
finds entity errors injected into small data."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.training.review_spans import TokenSpan, find_span_issues, out_of_fold_marginals

TAGS = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def _rows(*rows: tuple[str, ...]) -> np.ndarray:
    """Marginals from one tag per token, that tag at its given probability, the rest spread evenly."""
    out = []
    for row in rows:
        tag, p = row[0], float(row[1])
        line = np.full(len(TAGS), (1 - p) / (len(TAGS) - 1))
        line[TAGS.index(tag)] = p
        out.append(line)
    return np.array(out)


def test_missing_extra_type_and_boundary_suspects_need_the_models_confidence():
    y = [
        ["B-ORG", "I-ORG", "O", "O"],  # right, and confidently so: sets the thresholds
        ["O", "O"],  # the model reads ORG on the first token: a missing span
        ["B-ORG", "O"],  # the model reads O, surely: an extra span
        ["B-PER", "O"],  # the model reads ORG on the same token: a wrong type
        ["B-ORG", "O"],  # the model reads ORG over both tokens: wrong boundaries
        ["B-ORG", "O"],  # the model leans to O, but not as surely as on real O tokens: not a suspect
    ]
    marginals = [
        _rows(("B-ORG", 0.95), ("I-ORG", 0.95), ("O", 0.99), ("O", 0.99)),
        _rows(("B-ORG", 0.97), ("O", 0.99)),
        _rows(("O", 0.995), ("O", 0.99)),
        _rows(("B-ORG", 0.96), ("O", 0.99)),
        _rows(("B-ORG", 0.96), ("I-ORG", 0.96)),
        _rows(("O", 0.6), ("O", 0.99)),
    ]
    predicted = [
        ["B-ORG", "I-ORG", "O", "O"],
        ["B-ORG", "O"],
        ["O", "O"],
        ["B-ORG", "O"],
        ["B-ORG", "I-ORG"],
        ["O", "O"],
    ]
    suspects = find_span_issues(y, marginals, predicted, TAGS)
    found = {(s.index, s.kind, s.given, s.suggested) for s in suspects}
    assert found == {
        (1, "missing", None, TokenSpan(0, 1, "ORG")),
        (2, "extra", TokenSpan(0, 1, "ORG"), None),
        (3, "type", TokenSpan(0, 1, "PER"), TokenSpan(0, 1, "ORG")),
        (4, "boundary", TokenSpan(0, 1, "ORG"), TokenSpan(0, 2, "ORG")),
    }
    margins = [s.margin for s in suspects]
    assert margins == sorted(margins, reverse=True)
    extra = next(s for s in suspects if s.kind == "extra")
    assert extra.suggested_probability == pytest.approx(0.995)
    assert extra.given_probability == pytest.approx(0.00125)


COMPANIES = "Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Cyberdyne Tyrell".split()
CITIES = ["Paris", "Lyon", "Ohio", "Texas", "Berlin", "Madrid", "Oslo", "Rome", "Vienna", "Dublin"]


def _corpus() -> tuple[list[list[str]], list[list[str]], list[str]]:
    X, y, groups = [], [], []
    for article in range(20):
        for sentence in range(3):
            company = COMPANIES[(article + sentence) % 10]
            city = CITIES[(article * 3 + sentence) % 10]
            X.append(["Shares", "of", company, "rose", "in", city, "on", "Monday", "."])
            y.append(["O", "O", "B-ORG", "O", "O", "B-LOC", "O", "O", "O"])
            groups.append(f"a{article}")
    return X, y, groups


def test_an_injected_entity_error_is_found_by_a_tagger_that_never_saw_its_article():
    from toolkit.models import EntityTagger

    X, y, groups = _corpus()
    y[7] = ["O", "O", "O", "O", "O", "B-LOC", "O", "O", "O"]  # the annotator missed the company
    y[31] = ["O", "O", "B-ORG", "O", "O", "B-PER", "O", "O", "O"]  # a city typed as a person
    tagger = EntityTagger(max_iter=5, n_features=2**16, random_state=0)
    marginals, predicted, tags = out_of_fold_marginals(tagger, X, y, groups, folds=4, seed=1)
    assert tags == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert all(m.shape == (9, 7) for m in marginals)
    np.testing.assert_allclose(np.vstack(marginals).sum(axis=1), 1.0)
    suspects = find_span_issues(y, marginals, predicted, tags)
    top = {(s.index, s.kind, s.suggested) for s in suspects[:2]}
    assert top == {(7, "missing", TokenSpan(2, 3, "ORG")), (31, "type", TokenSpan(5, 6, "LOC"))}
