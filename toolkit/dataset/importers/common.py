"""What every reader returns (documents of tagged or labelled sentences) and the checks they share."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ToolkitError, where

__all__ = [
    "TaggedSentence",
    "LabelledSentence",
    "Document",
    "Corpus",
    "check_tag",
    "sentence_ends",
    "split_run",
    "blocks",
    "SENTENCES_PER_BLOCK",
    "MAX_SENTENCE_TOKENS",
    "exclude_known",
    "text_key",
]

# A file without document markers is cut into blocks of this many consecutive sentences, which then play the
# part of documents when a split is made: neighbouring sentences (often one article) stay in the same split.
SENTENCES_PER_BLOCK = 25
# Sentences longer than this (runs without any boundary) are cut at the nearest entity-free position.
MAX_SENTENCE_TOKENS = 150

_TAG = re.compile(r"O|[BI]-[^\s]+")
_FINAL = frozenset({".", "!", "?", "…", "...", "?!", "!?"})
_OPENERS = frozenset('«"“‘(—–-')
# Abbreviations that end with their own "." token and are followed by a capitalised word: M. Dupont, Dr. Who.
_ABBREVIATIONS = frozenset(
    {"m", "mm", "mme", "mmes", "mlle", "mgr", "dr", "st", "ste", "mr", "mrs", "ms", "jr", "sr", "no", "cf"}
)


@dataclass
class TaggedSentence:
    tokens: list[str]
    tags: list[str]
    line: int = 0


@dataclass
class LabelledSentence:
    text: str
    label: str
    line: int = 0


@dataclass
class Document:
    id: str
    lang: str
    sentences: list = field(default_factory=list)


@dataclass
class Corpus:
    """One file read: its task, its documents in order, and counts worth reporting (repairs, heuristics)."""

    task: str
    documents: list[Document]
    notes: Counter = field(default_factory=Counter)


def check_tag(tag: str, path: str | Path, line: int) -> str:
    """The tag if it is `O`, `B-TYPE` or `I-TYPE`; otherwise a one-line error naming the file and line."""
    if not _TAG.fullmatch(tag):
        raise ToolkitError(f"{where(path, line)}: bad tag {tag!r} (expected O, B-TYPE or I-TYPE)")
    return tag


def _continues(tags: Sequence[str], index: int) -> bool:
    """True when tokens `index` and `index + 1` belong to the same entity (a cut there would split it)."""
    return tags[index] != "O" and tags[index + 1] == f"I-{tags[index][2:]}"


def sentence_ends(tokens: Sequence[str], tags: Sequence[str], marked: Sequence[int] = ()) -> list[int]:
    """Where sentences end (exclusive token indices, the last is `len(tokens)`).

    With `marked` (ends given by the file) those are used; otherwise a sentence ends after `.`, `!` or `?`
    followed by a capitalised word, a digit or an opening quote, unless the period closes a short
    abbreviation (M., Dr.). A cut never falls inside an entity, and a run longer than MAX_SENTENCE_TOKENS is
    cut at its last entity-free position.
    """
    n = len(tokens)
    if marked:
        candidates = sorted({end for end in marked if 0 < end < n})
    else:
        candidates = []
        for index in range(n - 1):
            following = tokens[index + 1][:1]
            previous = tokens[index - 1].lower() if index else ""
            if (
                tokens[index] in _FINAL
                and (following.isupper() or following.isdigit() or following in _OPENERS)
                and not (previous in _ABBREVIATIONS or (len(previous) == 1 and previous.isalpha()))
            ):
                candidates.append(index + 1)
    ends: list[int] = []
    start = 0
    for end in [*candidates, n]:
        if end < n and _continues(tags, end - 1):
            continue
        while end - start > MAX_SENTENCE_TOKENS:
            cut = next(
                (
                    position
                    for position in range(start + MAX_SENTENCE_TOKENS, start, -1)
                    if not _continues(tags, position - 1)
                ),
                start + MAX_SENTENCE_TOKENS,
            )
            ends.append(cut)
            start = cut
        if end > start:
            ends.append(end)
            start = end
    return ends


def split_run(
    tokens: list[str], tags: list[str], lines: list[int], marked: Sequence[int] = ()
) -> list[TaggedSentence]:
    """A run of tokens (with the line of each) cut into sentences by `sentence_ends`."""
    sentences, start = [], 0
    for end in sentence_ends(tokens, tags, marked):
        sentences.append(TaggedSentence(tokens[start:end], tags[start:end], lines[start]))
        start = end
    return sentences


def blocks(sentences: list, stem: str, lang: str) -> list[Document]:
    """Consecutive sentences grouped SENTENCES_PER_BLOCK at a time, as documents `stem:b0001`, ..."""
    return [
        Document(f"{stem}:b{index + 1:04d}", lang, sentences[start : start + SENTENCES_PER_BLOCK])
        for index, start in enumerate(range(0, len(sentences), SENTENCES_PER_BLOCK))
    ]


def text_key(text: str) -> str:
    """A sentence reduced to its lowercased letters and digits: the same sentence tokenised or spaced apart
    ("said , " / "said,") or with other quotes gives the same key."""
    return "".join(character for character in text.lower() if character.isalnum())


def exclude_known(corpus: Corpus, exclude: Collection[str], counters: Counter) -> None:
    """Drop from `corpus` the documents whose id, and the sentences whose `text_key`, is in `exclude`."""
    kept = []
    for document in corpus.documents:
        if document.id in exclude:
            counters["excluded.documents"] += 1
            continue
        sentences = [s for s in document.sentences if text_key(s.text) not in exclude]
        counters["excluded.sentences"] += len(document.sentences) - len(sentences)
        document.sentences = sentences
        if sentences:
            kept.append(document)
    corpus.documents[:] = kept
