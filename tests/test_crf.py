"""The CRF arithmetic pinned against brute force: every tag path of tiny inputs enumerated and scored directly.

`forward_backward` and `viterbi` must give exactly what summing or maximising over all paths gives, and the
gradient the tagger steps along (expected minus observed counts) must match finite differences of the negative
log-likelihood. A swapped pair marginal, a missing end weight or an off-by-one in the backward pass fails here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toolkit.models.crf import allowed_transitions, forward_backward, viterbi

TAGS = ["O", "B-ORG", "I-ORG", "B-PER"]


def random_crf(seed: int, length: int, batch: int = 1):
    rng = np.random.default_rng(seed)
    n = len(TAGS)
    emissions = rng.normal(size=(batch, length, n))
    trans, start, end = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)
    allowed_start, allowed = allowed_transitions(TAGS)
    return emissions, trans, start, end, allowed_start, allowed


def paths(length: int, allowed_start, allowed):
    for path in itertools.product(range(len(TAGS)), repeat=length):
        if allowed_start[path[0]] and all(allowed[a, b] for a, b in itertools.pairwise(path)):
            yield path


def path_score(emissions, trans, start, end, path) -> float:
    score = start[path[0]] + end[path[-1]] + sum(emissions[t, tag] for t, tag in enumerate(path))
    return score + sum(trans[a, b] for a, b in itertools.pairwise(path))


def brute_force(emissions, trans, start, end, allowed_start, allowed):
    """(log Z, marginals (L, T), summed pair marginals (T, T), best path) by enumerating every allowed path."""
    length = emissions.shape[0]
    every = list(paths(length, allowed_start, allowed))
    scores = np.array([path_score(emissions, trans, start, end, path) for path in every])
    log_z = np.logaddexp.reduce(scores)
    probabilities = np.exp(scores - log_z)
    marginals = np.zeros((length, len(TAGS)))
    pairs = np.zeros((len(TAGS), len(TAGS)))
    for path, probability in zip(every, probabilities, strict=True):
        for t, tag in enumerate(path):
            marginals[t, tag] += probability
        for a, b in itertools.pairwise(path):
            pairs[a, b] += probability
    return log_z, marginals, pairs, every[int(scores.argmax())]


def ours(emissions, trans, start, end, allowed_start, allowed):
    potentials = np.exp(emissions - emissions.max(axis=2, keepdims=True))
    exp_trans = np.exp(trans) * allowed
    return forward_backward(potentials, exp_trans, np.exp(start) * allowed_start, np.exp(end))


@pytest.mark.parametrize(("seed", "length"), [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
def test_forward_backward_marginals_match_enumeration(seed, length):
    emissions, trans, start, end, allowed_start, allowed = random_crf(seed, length)
    _, marginals, pairs, _ = brute_force(emissions[0], trans, start, end, allowed_start, allowed)
    got_marginals, got_pairs = ours(emissions, trans, start, end, allowed_start, allowed)
    np.testing.assert_allclose(got_marginals[0], marginals, atol=1e-10)
    np.testing.assert_allclose(got_pairs, pairs, atol=1e-10)  # (from, to), not transposed
    # Forbidden moves get no mass: I-ORG never follows O or B-PER, never starts a sentence.
    assert np.all(got_pairs[~allowed] == 0) and got_marginals[0, 0, TAGS.index("I-ORG")] == 0


def test_pair_marginals_are_summed_over_a_batch_of_sentences():
    emissions, trans, start, end, allowed_start, allowed = random_crf(7, 3, batch=3)
    expected = sum(brute_force(e, trans, start, end, allowed_start, allowed)[2] for e in emissions)
    _, pairs = ours(emissions, trans, start, end, allowed_start, allowed)
    np.testing.assert_allclose(pairs, expected, atol=1e-10)


@pytest.mark.parametrize(("seed", "length"), [(10, 1), (11, 2), (12, 3), (13, 4), (14, 5), (15, 6)])
def test_viterbi_finds_the_best_allowed_path(seed, length):
    emissions, trans, start, end, allowed_start, allowed = random_crf(seed, length, batch=2)
    masked_trans = np.where(allowed, trans, -np.inf)
    masked_start = np.where(allowed_start, start, -np.inf)
    best = viterbi(emissions, masked_trans, masked_start, end)
    for row in range(2):
        *_, expected = brute_force(emissions[row], trans, start, end, allowed_start, allowed)
        assert tuple(best[row]) == expected


def negative_log_likelihood(emissions, trans, start, end, allowed_start, allowed, gold) -> float:
    log_z, *_ = brute_force(emissions, trans, start, end, allowed_start, allowed)
    return log_z - path_score(emissions, trans, start, end, gold)


def test_the_gradient_is_expected_minus_observed_counts_by_finite_differences():
    emissions, trans, start, end, allowed_start, allowed = random_crf(21, 4)
    gold = (1, 2, 0, 3)  # B-ORG I-ORG O B-PER
    marginals, pairs = ours(emissions, trans, start, end, allowed_start, allowed)
    observed_pairs = np.zeros_like(pairs)
    for a, b in itertools.pairwise(gold):
        observed_pairs[a, b] += 1
    analytic = {
        "emissions": marginals[0] - np.eye(len(TAGS))[list(gold)],
        "trans": pairs - observed_pairs,
        "start": marginals[0, 0] - np.eye(len(TAGS))[gold[0]],
        "end": marginals[0, -1] - np.eye(len(TAGS))[gold[-1]],
    }
    parameters = {"emissions": emissions[0], "trans": trans, "start": start, "end": end}
    step = 1e-6
    for name, values in parameters.items():
        for index in np.ndindex(values.shape):
            if name == "trans" and not allowed[index]:
                continue  # forbidden moves have no weight to learn
            original = values[index]
            values[index] = original + step
            above = negative_log_likelihood(emissions[0], trans, start, end, allowed_start, allowed, gold)
            values[index] = original - step
            below = negative_log_likelihood(emissions[0], trans, start, end, allowed_start, allowed, gold)
            values[index] = original
            assert (above - below) / (2 * step) == pytest.approx(analytic[name][index], abs=1e-6), (
                name,
                index,
            )


def test_weighted_pair_marginals_count_each_sentence_its_weight():
    emissions, trans, start, end, allowed_start, allowed = random_crf(8, 3, batch=3)
    weights = np.array([2.0, 0.5, 1.0])
    expected = sum(
        w * brute_force(e, trans, start, end, allowed_start, allowed)[2]
        for w, e in zip(weights, emissions, strict=True)
    )
    potentials = np.exp(emissions - emissions.max(axis=2, keepdims=True))
    _, pairs = forward_backward(
        potentials, np.exp(trans) * allowed, np.exp(start) * allowed_start, np.exp(end), weights=weights
    )
    np.testing.assert_allclose(pairs, expected, atol=1e-10)


def test_partial_labels_sum_over_the_paths_they_allow():
    """A token whose annotators did not label ORG may be O or ORG: the observed counts of a partly labelled
    sentence are its marginals over the allowed paths only, and the gradient matches finite differences of
    log Z - log Z(allowed paths)."""
    emissions, trans, start, end, allowed_start, allowed = random_crf(31, 4)
    mask = np.zeros((4, len(TAGS)), dtype=bool)
    mask[0, TAGS.index("B-PER")] = True  # labelled PER
    for t in (1, 2, 3):  # labelled O, but ORG was never annotated: O, B-ORG or I-ORG
        mask[t, [TAGS.index("O"), TAGS.index("B-ORG"), TAGS.index("I-ORG")]] = True

    def clamped_log_z(values):
        every = [p for p in paths(4, allowed_start, allowed) if all(mask[t, tag] for t, tag in enumerate(p))]
        return np.logaddexp.reduce([path_score(values, trans, start, end, p) for p in every])

    potentials = np.exp(emissions - emissions.max(axis=2, keepdims=True))
    exp_chain = (np.exp(trans) * allowed, np.exp(start) * allowed_start, np.exp(end))
    marginals, _ = forward_backward(potentials, *exp_chain)
    observed, _ = forward_backward(potentials * mask, *exp_chain)
    assert observed[0, 1:, TAGS.index("B-ORG")].sum() > 0.01  # the unlabelled type gets mass
    assert np.all(observed[0][~mask] == 0)
    analytic = marginals[0] - observed[0]
    step = 1e-6
    values = emissions[0]
    for index in np.ndindex(values.shape):
        original = values[index]
        values[index] = original + step
        above = brute_force(values, trans, start, end, allowed_start, allowed)[0] - clamped_log_z(values)
        values[index] = original - step
        below = brute_force(values, trans, start, end, allowed_start, allowed)[0] - clamped_log_z(values)
        values[index] = original
        assert (above - below) / (2 * step) == pytest.approx(analytic[index], abs=1e-6), index
