"""HIPE-2020 TSV: a header line, `# key = value` comment lines, one token per line, IOB2 tags per column.

The coarse literal column (NE-COARSE-LIT: pers, loc, org, time, prod) is read. `# document_id = ...` starts a
document and `# language = ...` (which comes just before it) gives its language. Sentence ends come from the
MISC column: `EndOfSentence` (HIPE-2022) or `PySBDSegment` (HIPE-2020 v1.4) on the last token of a sentence.
A document without any such mark (the v0.9 training release) is cut by `common.sentence_ends`. `EndOfLine`
marks an OCR line, not a sentence, and `NoSpaceAfter` only spacing: neither ends a sentence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, check_tag, split_run
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text

__all__ = ["read_hipe", "TAG_COLUMN", "SENTENCE_MARKS"]

TAG_COLUMN = "NE-COARSE-LIT"
SENTENCE_MARKS = frozenset({"EndOfSentence", "PySBDSegment"})


@dataclass
class _Open:
    id: str
    lang: str
    tokens: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)


def read_hipe(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of tagged sentences from a HIPE TSV file (coarse literal entities)."""
    text = read_text(path)
    notes: Counter = Counter()
    header: list[str] | None = None
    token_at = tag_at = misc_at = 0
    pending_lang = lang
    documents: list[Document] = []
    current: _Open | None = None

    def close() -> None:
        if current is not None and current.tokens:
            if not current.marks:
                notes["documents_split_heuristically"] += 1
            sentences = split_run(current.tokens, current.tags, current.lines, current.marks)
            documents.append(Document(current.id, current.lang, sentences))

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            key, value = key.strip(), value.strip()
            if key == "language" and value:
                pending_lang = value
            elif key == "document_id":
                close()
                current = _Open(f"{name}:{value}", pending_lang)
            continue
        fields = line.split("\t")
        if header is None:
            if TAG_COLUMN not in fields or "TOKEN" not in fields:
                raise ToolkitError(
                    f"{where(path, number)}: expected the HIPE header (TOKEN ... {TAG_COLUMN} ... MISC) "
                    "before the first token"
                )
            header = fields
            token_at, tag_at = fields.index("TOKEN"), fields.index(TAG_COLUMN)
            misc_at = fields.index("MISC") if "MISC" in fields else -1
            continue
        if fields == header:
            continue
        if len(fields) != len(header):
            raise ToolkitError(
                f"{where(path, number)}: {len(fields)} columns, expected {len(header)} as in the header"
            )
        if current is None:
            notes["tokens_before_any_document_id"] += 1
            current = _Open(f"{name}:0", pending_lang)
        token = fields[token_at].strip()
        if not token:
            raise ToolkitError(f"{where(path, number)}: empty token")
        current.tokens.append(token)
        current.tags.append(check_tag(fields[tag_at].strip(), path, number))
        current.lines.append(number)
        if misc_at >= 0 and SENTENCE_MARKS & set(fields[misc_at].split("|")):
            current.marks.append(len(current.tokens))
    close()
    if header is None:
        raise ToolkitError(
            f"{path}: no HIPE header line (TOKEN ... {TAG_COLUMN} ...): is it a HIPE TSV file?"
        )
    return Corpus("entities", documents, notes)
