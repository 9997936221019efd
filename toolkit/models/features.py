"""Token features of the entity tagger, built per word type and hashed: slots, shapes, affixes, vocabularies.

Every token feature is a hash of one intrinsic feature of the word at some offset (or a conjunction of two or
three), so the string work is done once per distinct word and the rest is integer arithmetic on arrays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
from sklearn.utils.murmurhash import murmurhash3_32

__all__ = [
    "SLOTS",
    "N_BASIC",
    "SLOT",
    "NEAR",
    "FAR",
    "BOS",
    "EOS",
    "MASK64",
    "word_shape",
    "type_strings",
    "hash_strings",
    "hash_string",
    "mix",
    "feature_code",
    "Batch",
    "as_sentences",
    "vocabularies",
    "contains",
    "rule_regions",
    "region_codes",
    "cluster_table",
]

# Per-type slots, in order. The `basic` set uses the first nine (close to sklearn-crfsuite's tutorial features).
SLOTS = (
    "w", "lower", "sshape", "suf2", "suf3", "title", "upper", "digit", "punct",  # basic
    "shape", "pre1", "pre2", "pre3", "pre4", "suf1", "suf4", "len", "hyph", "lcknown", "capknown",
)  # fmt: skip
N_BASIC = 9
SLOT = {name: index for index, name in enumerate(SLOTS)}
# What a neighbour at distance 1 contributes, and one further away.
NEAR = {
    "basic": ("lower", "title", "upper"),
    "rich": ("lower", "sshape", "shape", "suf3", "pre3", "title", "upper", "lcknown"),
}
FAR = {"basic": ("lower", "title", "upper"), "rich": ("lower", "sshape", "title")}
# Padding "words" before and after a sentence; type ids 0 and 1 in every batch.
BOS, EOS = "\x02<s>", "\x03</s>"
MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def word_shape(word: str, cap: int) -> str:
    """Word shape: X/x/d for upper/lower/digit, other characters kept, runs longer than `cap` cut to `cap`."""
    out: list[str] = []
    run = 0
    for char in word:
        kind = "X" if char.isupper() else "x" if char.isalpha() else "d" if char.isdigit() else char
        run = run + 1 if out and out[-1] == kind else 1
        if run <= cap:
            out.append(kind)
    return "".join(out)


def type_strings(word: str, lowercase_known: bool, titlecase_known: bool) -> list[str]:
    """The intrinsic features of one word, one string per slot of `SLOTS`."""
    if word in (BOS, EOS):
        return [f"{slot}={word}" for slot in SLOTS]
    lower = word.lower()
    values = (
        word,
        lower,
        word_shape(word, 1),
        lower[-2:],
        lower[-3:],
        word.istitle(),
        word.isupper(),
        word.isdigit(),
        not any(char.isalnum() for char in word),
        word_shape(word, 4),
        word[:1],
        word[:2],
        word[:3],
        word[:4],
        lower[-1:],
        lower[-4:],
        min(len(word), 8),
        "-" in word,
        lowercase_known,
        titlecase_known,
    )
    return [f"{slot}={value}" for slot, value in zip(SLOTS, values, strict=True)]


def hash_string(string: str) -> int:
    return murmurhash3_32(string, seed=17, positive=True)


def hash_strings(strings: Sequence[str]) -> np.ndarray:
    return np.fromiter((hash_string(s) for s in strings), dtype=np.uint64, count=len(strings))


def mix(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Combine two hash codes into one (a splitmix64-style finaliser; uint64 arithmetic wraps on purpose)."""
    with np.errstate(over="ignore"):
        x = (a * np.uint64(0x9E3779B97F4A7C15) + np.uint64(b) * np.uint64(0xBF58476D1CE4E5B9)) & MASK64
        x ^= x >> np.uint64(31)
        x = (x * np.uint64(0x94D049BB133111EB)) & MASK64
        x ^= x >> np.uint64(29)
    return x


def feature_code(name: str) -> int:
    return murmurhash3_32(name, seed=29, positive=True)


class Batch:
    """Token-level arrays for a list of sentences: type ids, positions and sentence boundaries."""

    def __init__(self, sentences: Sequence[Sequence[str]]):
        self.sentences = sentences
        self.lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        vocab: dict[str, int] = {BOS: 0, EOS: 1}
        ids = [vocab.setdefault(token, len(vocab)) for sentence in sentences for token in sentence]
        self.types = list(vocab)
        self.type_ids = np.asarray(ids, dtype=np.int64)
        self.sentence = np.repeat(np.arange(len(sentences)), self.lengths)
        self.position = np.arange(len(ids), dtype=np.int64) - self.starts[self.sentence]
        self.length_of_token = self.lengths[self.sentence]

    def by_length(self, chunk: int, rng: np.random.RandomState | None = None) -> Iterator[np.ndarray]:
        """Token index arrays (B, L) of up to `chunk` sentences of one length; shuffled within a length by `rng`."""
        for length in np.unique(self.lengths[self.lengths > 0]):
            rows = np.flatnonzero(self.lengths == length)
            if rng is not None:
                rows = rng.permutation(rows)
            for begin in range(0, len(rows), chunk):
                yield self.starts[rows[begin : begin + chunk]][:, None] + np.arange(length)[None, :]


def as_sentences(X: object, name: str = "X") -> list[list[str]]:
    if hasattr(X, "columns") and list(X.columns) == ["tokens"]:
        # MLflow's pyfunc (serving, `mlflow models predict`) hands over a one-column DataFrame of token arrays.
        X = list(X["tokens"])
    if isinstance(X, str) or not hasattr(X, "__iter__"):
        raise TypeError(f"{name} must be a list of sentences, each a list of token strings")
    sentences = []
    for sentence in X:
        if isinstance(sentence, str) or not hasattr(sentence, "__iter__"):
            raise TypeError(
                f"{name} must be a list of sentences, each a list of token strings; got {sentence!r}"
            )
        sentences.append([str(token) for token in sentence])
    return sentences


def vocabularies(sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted hash codes of words seen in lower case and of words seen title-cased inside a sentence.

    Why: a capitalised word whose lowercase form is common ("Shares" at the start of a sentence) is seldom an
    entity, and an all-caps headline word whose title-case form appears mid-sentence often is. Stored as hashes
    so the fitted model holds two integer arrays, not the training vocabulary.
    """
    lowercase, titlecase = set(), set()
    for sentence in sentences:
        for position, token in enumerate(sentence):
            if token.islower():
                lowercase.add(token)
            elif position > 0 and token.istitle():
                titlecase.add(token)
    return np.unique(hash_strings(sorted(lowercase))), np.unique(hash_strings(sorted(titlecase)))


def contains(sorted_codes: np.ndarray, words: Sequence[str]) -> np.ndarray:
    """For each word, whether its hash code is in `sorted_codes` (one vectorised search for all of them)."""
    codes = hash_strings(words)
    if not len(sorted_codes):
        return np.zeros(len(codes), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return sorted_codes[at] == codes


def rule_regions(sentences: Sequence[Sequence[str]]) -> list[str]:
    """Per token, B-TYPE / I-TYPE where a MONEY, PERCENT or DATE rule of toolkit.models.rules matches, else O.

    The sentences are joined with single spaces (the rules' own spacing) and scanned at once, separated by a
    blank line no rule crosses. French and English dates are both tried: the tagger does not know the language.
    """
    sizes = np.fromiter((len(sentence) for sentence in sentences), dtype=np.int64, count=len(sentences))
    total = int(sizes.sum())
    labels = ["O"] * total
    if not total:
        return labels
    pattern = _rule_pattern()
    joined = [" ".join(sentence) for sentence in sentences]
    text = "\n\n".join(joined)
    # Token offsets without a Python loop per token: as if every token were followed by one space, then moved to
    # the start of its own sentence in `text`.
    widths = np.fromiter(
        (len(token) for sentence in sentences for token in sentence), dtype=np.int64, count=total
    )
    flat = np.cumsum(widths + 1) - (widths + 1)
    sentence_of = np.repeat(np.arange(len(sentences)), sizes)
    firsts = np.cumsum(sizes) - sizes
    sentence_starts = np.cumsum([0] + [len(line) + 2 for line in joined[:-1]])
    begins = (
        flat - flat[np.minimum(firsts, total - 1)][sentence_of] + np.asarray(sentence_starts)[sentence_of]
    )
    ends = begins + widths
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        first = int(np.searchsorted(ends, match.start(), side="right"))
        last = int(np.searchsorted(begins, match.end(), side="left"))
        for index in range(first, last):
            labels[index] = ("B-" if index == first else "I-") + match.lastgroup
    return labels


@lru_cache(maxsize=1)
def _rule_pattern() -> re.Pattern[str]:
    from toolkit.models.rules import DATE_PATTERNS, MONEY, PERCENT

    dates = "|".join(f"(?:{pattern.pattern})" for pattern in DATE_PATTERNS.values())
    return re.compile(rf"(?P<MONEY>{MONEY.pattern})|(?P<PERCENT>{PERCENT.pattern})|\b(?P<DATE>{dates})")


def region_codes(labels: Sequence[str], name: str) -> np.ndarray:
    """Hash codes of per-token region labels (B-X, I-X, O) under a feature `name`, one per token."""
    distinct = sorted(set(labels))
    codes = hash_strings([f"{name}={label}" for label in distinct])
    index = {label: i for i, label in enumerate(distinct)}
    return codes[np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))]


def cluster_table(types: Sequence[str], words: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Hash codes (n_types, levels) of each word type's cluster id per level (`words`: sorted hash codes of the
    clustered lowercase words, `ids`: their ids); a word without a cluster gets a code of its own per level."""
    levels = ids.shape[1]
    codes = hash_strings([word.lower() for word in types])
    at = np.minimum(np.searchsorted(words, codes), len(words) - 1)
    chosen = np.where((words[at] == codes)[:, None], ids[at], -1)
    # One id per (level, cluster) pair: level l's cluster c is l * 2**20 + c + 1, the unclustered 0.
    keys = (np.arange(levels, dtype=np.uint64)[None, :] << np.uint64(20)) + (chosen + 1).astype(np.uint64)
    return mix(keys, feature_code("cluster"))
