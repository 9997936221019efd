"""Active-learning selection (toolkit.training.select) on crafted probabilities, and per-sentence probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.training.select import margin, rank, select, uncertainty

SURE = np.array([[0.98, 0.01, 0.01], [0.96, 0.02, 0.02]])
UNSURE = np.array([[0.4, 0.35, 0.25], [0.5, 0.3, 0.2]])
TIED = np.array([[0.5, 0.5, 0.0]])  # two statuses compete: top 0.5, gap 0
SPREAD = np.array([[0.5, 0.25, 0.25]])  # same top 0.5, gap 0.25
EMPTY = np.zeros((0, 3))


def test_uncertainty_and_margin_scores():
    assert uncertainty(UNSURE) == pytest.approx(1 - (0.4 + 0.5) / 2)
    assert margin(UNSURE) == pytest.approx(1 - (0.05 + 0.2) / 2)
    assert uncertainty(SURE) < 0.05 and margin(SURE) < 0.1
    assert uncertainty(EMPTY) == margin(EMPTY) == 0.0


def test_the_least_sure_article_comes_first_with_its_score_and_rank():
    picks = rank([SURE, UNSURE, EMPTY], "uncertainty")
    assert [p.index for p in picks] == [1, 0, 2]
    assert [p.rank for p in picks] == [1, 2, 3]
    assert picks[0].score == pytest.approx(uncertainty(UNSURE))
    assert [p.index for p in rank([SURE, UNSURE, EMPTY], "uncertainty", limit=1)] == [1]


def test_margin_tells_apart_what_uncertainty_ties():
    assert uncertainty(TIED) == uncertainty(SPREAD)
    assert select([SPREAD, TIED], "uncertainty", limit=2) == [0, 1]  # a tie keeps the given order
    assert select([SPREAD, TIED], "margin", limit=2) == [1, 0]


def test_diverse_spreads_near_duplicates_out():
    wire = "Globex may buy Initech for two billion dollars, people familiar with the talks said."
    texts = [wire, wire + " Shares rose.", "Le gouvernement prévoit une croissance de 1 % en 2027."]
    probabilities = [UNSURE, UNSURE * 0.99 + SURE * 0.01, (UNSURE + SURE) / 2]
    assert select(probabilities, "uncertainty", texts, limit=2) == [0, 1]
    picks = rank(probabilities, "diverse", texts, limit=3)
    assert [p.index for p in picks] == [0, 2, 1]
    scores = [p.score for p in picks]
    assert scores == sorted(scores, reverse=True)  # sorting by the written score gives the picking order
    assert picks[2].score < uncertainty(probabilities[1]) - 0.3  # the duplicate paid for its similarity


def test_a_sentence_budget_takes_ranked_articles_until_they_hold_that_many_sentences():
    long_unsure = np.vstack([(UNSURE + SURE) / 2] * 3)  # 6 sentences, surer than TIED and SPREAD
    probabilities = [SURE, TIED, long_unsure, SPREAD]  # 2, 1, 6, 1 sentences; uncertainty order: 1, 3, 2, 0
    assert select(probabilities, "uncertainty", limit=None) == [1, 3, 2, 0]
    assert select(probabilities, "uncertainty", limit=None, sentences=2) == [1, 3]
    # The third article takes the total from 2 to 8: the last one may go past the budget, none after it.
    assert select(probabilities, "uncertainty", limit=None, sentences=3) == [1, 3, 2]
    assert select(probabilities, "uncertainty", limit=2, sentences=100) == [1, 3]  # both bounds hold
    assert [p.rank for p in rank(probabilities, "margin", sentences=1)] == [1]
    # An article longer than the whole budget is sent rather than nothing.
    assert select([long_unsure, SURE], "uncertainty", limit=None, sentences=4) == [0]


def test_a_sentence_budget_with_diverse_keeps_the_diverse_order():
    wire = "Globex may buy Initech for two billion dollars, people familiar with the talks said."
    texts = [wire, wire + " Shares rose.", "Le gouvernement prévoit une croissance de 1 % en 2027."]
    probabilities = [UNSURE, UNSURE * 0.99 + SURE * 0.01, (UNSURE + SURE) / 2]
    assert select(probabilities, "diverse", texts, limit=None, sentences=4) == [0, 2]


def test_unknown_strategy_and_diverse_without_texts_are_refused():
    with pytest.raises(ToolkitError, match="unknown selection strategy 'random'"):
        rank([SURE], "random")
    with pytest.raises(ToolkitError, match="needs the text"):
        rank([SURE, UNSURE], "diverse", limit=2)


def test_sentence_probabilities_follow_the_articles_sentences():
    from toolkit.models.claims import ClaimClassifier
    from toolkit.predict import sentence_probabilities
    from toolkit.records import Article, text_hash
    from toolkit.tracking.models import LoadedModel

    texts = ["Acme said profits rose.", "Globex may buy Initech.", "Shares will rise, analysts expect."] * 4
    labels = ["REPORTED", "SPECULATIVE", "FORECAST"] * 4
    model = ClaimClassifier().fit(np.array(texts), labels)
    loaded = LoadedModel("memory", "claims", model, "test")
    two = "Acme said profits rose. Globex may buy Initech."
    articles = [
        Article("two", None, two, "en", text_hash(two), "t", [(0, 23), (24, len(two))], {}),
        Article("none", None, "", "en", text_hash(""), "t", [], {}),
    ]
    first, second = sentence_probabilities(loaded, articles)
    assert first.shape == (2, 3) and second.shape == (0, 3)
    assert np.allclose(first.sum(axis=1), 1.0)
    assert list(model.classes_[first.argmax(axis=1)]) == ["REPORTED", "SPECULATIVE"]
