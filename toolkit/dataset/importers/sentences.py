"""Sentence-label files: JSONL (one object a line), a JSON array, or CSV/TSV with a header: a sentence a record.

Columns, by the first name found: the text (`text`, `sentence`), the label (`label`, `class`), optionally the
document (`article_id`, `doc_id`, `document_id`, `document`) and the language (`lang`, `language`). Sentences
of one document keep their order; a file without a document column makes each sentence its own document.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolkit.dataset.importers.common import Corpus, Document, LabelledSentence
from toolkit.errors import ToolkitError, where
from toolkit.io import read_json, read_jsonl, read_text

__all__ = ["read_sentences", "TEXT_COLUMNS", "LABEL_COLUMNS", "DOCUMENT_COLUMNS", "LANG_COLUMNS"]

TEXT_COLUMNS = ("text", "sentence")
LABEL_COLUMNS = ("label", "class")
DOCUMENT_COLUMNS = ("article_id", "doc_id", "document_id", "document")
LANG_COLUMNS = ("lang", "language")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".json" and read_text(path).lstrip().startswith("["):
        records = read_json(path)
        for index, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise ToolkitError(f"{path}: item {index} is not a JSON object")
            yield index, record
        return
    if suffix in (".jsonl", ".ndjson", ".json"):
        yield from read_jsonl(path)
        return
    if suffix not in (".csv", ".tsv"):
        raise ToolkitError(f"{path}: expected a .jsonl, .json, .csv or .tsv file of labelled sentences")
    text = read_text(path)
    if not text.strip():
        raise ToolkitError(f"{path}: file is empty")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ",")
    for row in reader:
        if None in row or None in row.values():
            raise ToolkitError(
                f"{where(path, reader.line_num)}: wrong number of columns (the header has {len(reader.fieldnames or [])})"
            )
        yield reader.line_num, row


def _pick(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[name] for name in names if record.get(name) not in (None, "")), None)


def read_sentences(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of labelled sentences from a JSONL, CSV or TSV file."""
    documents: dict[str, Document] = {}
    notes: Counter = Counter()
    for line, record in _records(path):
        text = _pick(record, TEXT_COLUMNS)
        label = _pick(record, LABEL_COLUMNS)
        if not isinstance(text, str):
            raise ToolkitError(
                f"{where(path, line)}: no text (expected a non-empty string in {' or '.join(TEXT_COLUMNS)})"
            )
        if label is None or isinstance(label, dict | list):
            raise ToolkitError(
                f"{where(path, line)}: no label (expected a value in {' or '.join(LABEL_COLUMNS)})"
            )
        text = " ".join(text.split())
        if not text:
            notes["blank_sentences_skipped"] += 1
            continue
        document = _pick(record, DOCUMENT_COLUMNS)
        document_id = str(document) if document is not None else f"{name}:{line}"
        if document_id not in documents:
            documents[document_id] = Document(document_id, str(_pick(record, LANG_COLUMNS) or lang))
        documents[document_id].sentences.append(LabelledSentence(text, str(label), line))
    if not documents:
        raise ToolkitError(f"{path}: no labelled sentence")
    return Corpus("claims", list(documents.values()), notes)
