"""FiNER-ORD CSV: one token per row, columns `gold_label,gold_token,doc_idx,sent_idx` (in any order).

`gold_label` is a label id (0 O, 1 B-PER, 2 I-PER, 3 B-LOC, 4 I-LOC, 5 B-ORG, 6 I-ORG, as on the dataset card)
or a tag written out. A sentence is a run of rows with the same (doc_idx, sent_idx); a document is a doc_idx.
The rows of one sentence must be consecutive.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, TaggedSentence, check_tag
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text

__all__ = ["read_finer", "LABEL_IDS", "COLUMNS"]

LABEL_IDS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
COLUMNS = ("gold_label", "gold_token", "doc_idx", "sent_idx")


def _tag(value: str, path: Path, line: int) -> str:
    if value.isdigit():
        if int(value) >= len(LABEL_IDS):
            raise ToolkitError(
                f"{where(path, line)}: bad label id {value} (expected 0 to {len(LABEL_IDS) - 1})"
            )
        return LABEL_IDS[int(value)]
    return check_tag(value, path, line)


def read_finer(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of tagged sentences from a FiNER-ORD CSV file."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = [column.strip() for column in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ToolkitError(
            f"{where(path, 1)}: missing column(s) {', '.join(missing)} (has: {', '.join(header) or 'nothing'})"
        )
    label_at, token_at, doc_at, sent_at = (header.index(column) for column in COLUMNS)
    documents: dict[str, Document] = {}
    seen: set[tuple[str, str]] = set()
    key: tuple[str, str] | None = None
    sentence: TaggedSentence | None = None
    for row in reader:
        line = reader.line_num
        if not any(value.strip() for value in row):
            continue
        if len(row) != len(header):
            raise ToolkitError(
                f"{where(path, line)}: {len(row)} columns, expected {len(header)} as in the header"
            )
        token = row[token_at].strip()
        if not token:
            raise ToolkitError(f"{where(path, line)}: empty token")
        tag = _tag(row[label_at].strip(), path, line)
        row_key = (row[doc_at].strip(), row[sent_at].strip())
        if row_key != key:
            if row_key in seen:
                raise ToolkitError(
                    f"{where(path, line)}: sentence doc_idx={row_key[0]} sent_idx={row_key[1]} resumes after "
                    "another sentence (the rows of a sentence must be consecutive)"
                )
            seen.add(row_key)
            key = row_key
            document_id = f"{name}:{row_key[0]}"
            if document_id not in documents:
                documents[document_id] = Document(document_id, lang)
            sentence = TaggedSentence([], [], line)
            documents[document_id].sentences.append(sentence)
        assert sentence is not None
        sentence.tokens.append(token)
        sentence.tags.append(tag)
    return Corpus("entities", list(documents.values()), Counter())
