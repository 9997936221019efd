"""CoNLL column files: CoNLL-2003 (IOB1, `-DOCSTART-` documents), Europeana (IOB1, no boundaries at all), any IOB2.

One token per line, the token in the first column and the tag in the last; columns are separated by tabs when
the line has any, else by spaces. Blank lines end sentences and `-DOCSTART-` lines end documents. Every line
must have as many columns as the first token line. Tags are checked here and turned into IOB2 by the importer.

A file without a single blank line (Europeana) is cut into sentences by `common.sentence_ends`; a file without
`-DOCSTART-` is cut into blocks of consecutive sentences that stand for documents.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, TaggedSentence, blocks, check_tag, split_run
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text

__all__ = ["read_conll"]

DOCSTART = "-DOCSTART-"


def read_conll(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of tagged sentences from a CoNLL column file."""
    text = read_text(path)
    notes: Counter = Counter()
    documents: list[list[TaggedSentence]] = [[]]
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    columns: tuple[int, int] | None = None  # (count, line it was first seen on)
    has_docstart = has_blank = False

    def end_sentence() -> None:
        if tokens:
            documents[-1].append(TaggedSentence(list(tokens), list(tags), lines[0]))
            tokens.clear(), tags.clear(), lines.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [value.strip() for value in fields]
        if not any(fields):
            has_blank = True
            end_sentence()
            continue
        if fields[0] == DOCSTART:
            has_docstart = True
            end_sentence()
            documents.append([])
            continue
        if columns is None:
            if len(fields) < 2:
                raise ToolkitError(f"{where(path, number)}: expected a token and a tag, got {line!r}")
            columns = (len(fields), number)
        if len(fields) != columns[0]:
            raise ToolkitError(
                f"{where(path, number)}: {len(fields)} columns, expected {columns[0]} as on line {columns[1]}"
            )
        if not fields[0]:
            raise ToolkitError(f"{where(path, number)}: empty token")
        tokens.append(fields[0])
        tags.append(check_tag(fields[-1], path, number))
        lines.append(number)
    end_sentence()
    if columns is None:
        raise ToolkitError(f"{path}: no token lines (is it a CoNLL column file?)")

    if not has_blank:
        notes["sentences_split_heuristically"] = 1
        documents = [
            [piece for sentence in sentences for piece in _heuristic(sentence)] for sentences in documents
        ]
    documents = [sentences for sentences in documents if sentences]
    if has_docstart:
        result = [
            Document(f"{name}:{index:04d}", lang, sentences)
            for index, sentences in enumerate(documents, start=1)
        ]
    else:
        notes["documents_are_blocks_of_sentences"] = 1
        result = blocks([sentence for sentences in documents for sentence in sentences], name, lang)
    return Corpus("entities", result, notes)


def _heuristic(sentence: TaggedSentence) -> list[TaggedSentence]:
    lines = list(range(sentence.line, sentence.line + len(sentence.tokens)))
    return split_run(sentence.tokens, sentence.tags, lines)
