"""Gazetteers gathered from training labels: entity strings by type, matched longest first as token regions.

Why k-fold: a gazetteer built on all training sentences matches every training entity in its own sentence, so
the CRF learns to trust it completely and fails on the unseen names of new text. The tagger's training features
come from `fold_regions` (each fold matched with the gazetteer of the other folds, so a training sentence sees
the same coverage a new article will); the gazetteer of all training data serves prediction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["SEPARATOR", "gather", "match", "fold_regions"]

# Joins an entry's tokens into one string key (skops-safe: the fitted model keeps a dict of str → str).
SEPARATOR = "\x1f"
# Longer entity strings are too rare to repeat in new text.
MAX_TOKENS = 6


def gather(sentences: Sequence[Sequence[str]], tag_lists: Sequence[Sequence[str]]) -> dict[str, str]:
    """Entity strings of IOB2 `tag_lists` (up to MAX_TOKENS tokens, joined by SEPARATOR) → their most frequent
    type (the first seen on a tie)."""
    kinds: dict[str, Counter[str]] = {}
    for tokens, tags in zip(sentences, tag_lists, strict=True):
        start = None
        for index, tag in enumerate([*tags, "O"]):
            if start is not None and not tag.startswith("I-"):
                if index - start <= MAX_TOKENS:
                    kinds.setdefault(SEPARATOR.join(tokens[start:index]), Counter())[tags[start][2:]] += 1
                start = None
            if tag.startswith("B-"):
                start = index
    return {key: counts.most_common(1)[0][0] for key, counts in kinds.items()}


def match(sentences: Sequence[Sequence[str]], gazetteer: dict[str, str]) -> list[str]:
    """Per token (all sentences in a row), B-TYPE / I-TYPE inside the longest gazetteer entry found, else O."""
    firsts = {key.split(SEPARATOR, 1)[0] for key in gazetteer}
    longest = max((key.count(SEPARATOR) + 1 for key in gazetteer), default=0)
    labels: list[str] = []
    for tokens in sentences:
        out = ["O"] * len(tokens)
        index = 0
        while index < len(tokens):
            found = 0
            if tokens[index] in firsts:
                for size in range(min(longest, len(tokens) - index), 0, -1):
                    kind = gazetteer.get(SEPARATOR.join(tokens[index : index + size]))
                    if kind is not None:
                        out[index : index + size] = [f"B-{kind}"] + [f"I-{kind}"] * (size - 1)
                        found = size
                        break
            index += max(found, 1)
        labels.extend(out)
    return labels


def fold_regions(
    sentences: Sequence[Sequence[str]], tag_lists: Sequence[Sequence[str]], folds: int
) -> list[str]:
    """Per token, the regions `match` finds with a gazetteer gathered from the *other* folds only.

    Folds are contiguous blocks of sentences: a name repeated inside one article stays in one fold, as it
    would in an article the model has never seen.
    """
    n = len(sentences)
    bounds = [round(n * fold / folds) for fold in range(folds + 1)]
    labels: list[str] = []
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        others = [*range(begin), *range(end, n)]
        gazetteer = gather([sentences[i] for i in others], [tag_lists[i] for i in others])
        labels.extend(match(sentences[begin:end], gazetteer))
    return labels
