"""The arithmetic of a linear-chain CRF over BIO tags: constraints, Viterbi decoding, forward-backward.

Everything works on batches of equal-length sentences, so each step is one numpy operation over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["allowed_transitions", "viterbi", "forward_backward", "split_chain"]


def allowed_transitions(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """BIO constraints: (start_allowed[T], allowed[T, T]); I-X may only follow B-X or I-X."""
    start = np.array([not tag.startswith("I-") for tag in tags])
    allowed = np.ones((len(tags), len(tags)), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            for i, previous in enumerate(tags):
                allowed[i, j] = previous != "O" and previous[2:] == tag[2:]
    return start, allowed


def viterbi(emissions: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Best tag paths (B, L) for equal-length sentences with emissions (B, L, T); -inf marks forbidden moves."""
    n_batch, length, n_tags = emissions.shape
    delta = start[None, :] + emissions[:, 0]
    back = np.empty((n_batch, length, n_tags), dtype=np.int64)
    for step in range(1, length):
        scores = delta[:, :, None] + trans[None]
        back[:, step] = scores.argmax(axis=1)
        delta = scores.max(axis=1) + emissions[:, step]
    paths = np.empty((n_batch, length), dtype=np.int64)
    paths[:, -1] = (delta + end[None, :]).argmax(axis=1)
    rows = np.arange(n_batch)
    for step in range(length - 1, 0, -1):
        paths[:, step - 1] = back[rows, step, paths[:, step]]
    return paths


def forward_backward(
    potentials: np.ndarray,
    exp_trans: np.ndarray,
    exp_start: np.ndarray,
    exp_end: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Tag marginals (B, L, T) and summed pair marginals (T, T) for equal-length sentences; with `weights` (B,),
    each sentence's pair marginals count that many times in the sum.

    Works in probability space, rescaling every step, so only the emissions go through exp (the caller passes
    them shifted per token); forbidden transitions are zeros in `exp_trans`. Zeros in `potentials` forbid tags
    at tokens, which is how a partly labelled sentence's allowed paths are summed over.
    """
    n_batch, length, n_tags = potentials.shape
    alpha = np.empty((n_batch, length, n_tags))
    current = exp_start * potentials[:, 0]
    alpha[:, 0] = current / current.sum(axis=1, keepdims=True)
    for step in range(1, length):
        current = (alpha[:, step - 1] @ exp_trans) * potentials[:, step]
        alpha[:, step] = current / current.sum(axis=1, keepdims=True)
    beta = np.empty((n_batch, length, n_tags))
    beta[:, -1] = exp_end
    for step in range(length - 2, -1, -1):
        current = (potentials[:, step + 1] * beta[:, step + 1]) @ exp_trans.T
        beta[:, step] = current / current.sum(axis=1, keepdims=True)
    marginals = alpha * beta
    marginals /= marginals.sum(axis=2, keepdims=True)
    pairs = np.zeros((n_tags, n_tags))
    if length > 1:
        left = alpha[:, :-1].reshape(-1, n_tags)
        right = (potentials[:, 1:] * beta[:, 1:]).reshape(-1, n_tags)
        scale = np.einsum("ni,ij,nj->n", left, exp_trans, right)
        if weights is not None:
            scale = scale / np.repeat(weights, length - 1)
        pairs = np.einsum("ni,nj->ij", left / scale[:, None], right) * exp_trans
    return marginals, pairs


def split_chain(chain: np.ndarray, n_tags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(transitions (T, T), start (T), end (T)) views of the chain weight vector."""
    square = n_tags * n_tags
    return chain[:square].reshape(n_tags, n_tags), chain[square : square + n_tags], chain[square + n_tags :]
