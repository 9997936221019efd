"""BRAT standoff folders (`.txt` + `.ann`), as WiNER-fr and PolNeAR ship them.

A path is a folder, searched recursively (WiNER nests month folders), or one `.ann` file. Each `.ann` is paired
with the `.txt` beside it, or, PolNeAR's layout, with `../text/<article>.txt` when the `.ann` is named
`<article>_<annotator>.ann` in an `attributions/` folder; of several annotators of one article the first (by
name) is read and the others are counted. Text-bound lines `T<n>\\t<Type> <start> <end>\\t<text>` are read, checked
against the text (one-line errors naming file and line), and every other line (events, relations, attributes,
notes) is counted and skipped.

Entities follow the flat schema of our datasets: of nested entities the outermost is kept (the others counted);
a discontinuous span (`0 5;9 14`) is joined into one span from its first start to its last end (counted). Text is
cut into sentences by the toolkit's splitter (never inside an entity) and into tokens by its tokenizer, so a BRAT
document becomes the same rows as any other import.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, TaggedSentence
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text
from toolkit.records import Span
from toolkit.text.bio import spans_to_bio
from toolkit.text.tokens import tokenize_with_boundaries

__all__ = ["read_brat", "WINER_LABELS"]

# WiNER-fr's types in our schema; Hour, Event and Product have no counterpart and are dropped unless mapped.
WINER_LABELS: dict[str, str | None] = {
    "Person": "PER",
    "Organization": "ORG",
    "Location": "LOC",
    "Date": "DATE",
    "Hour": None,
    "Event": None,
    "Product": None,
}
_TEXT_BOUND = re.compile(r"T\S*\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t(.*)")
_ANNOTATION_ID = re.compile(r"[TERAMN#*]\S*\t")
_ANNOTATOR_SUFFIX = re.compile(r"_[^_]+$")


def _text_for(ann: Path) -> Path | None:
    beside = ann.with_suffix(".txt")
    if beside.is_file():
        return beside
    article = _ANNOTATOR_SUFFIX.sub("", ann.stem)
    for candidate in (ann.parent.parent / "text" / f"{article}.txt", ann.with_name(f"{article}.txt")):
        if candidate.is_file():
            return candidate
    return None


def _comparable(text: str) -> str:
    """Text as BRAT's annotation column gives it: single spaces, no invisible format characters."""
    return " ".join("".join(char for char in text if unicodedata.category(char) != "Cf").split())


def _logical_lines(content: str) -> list[tuple[int, str]]:
    """(line number, line) pairs, with a span text that runs over a newline joined back to its line."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if lines and not _ANNOTATION_ID.match(line) and lines[-1][1].startswith("T"):
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + line)
        elif line.strip():
            lines.append((number, line))
    return lines


def _read_spans(ann: Path, text: str, notes: Counter) -> list[tuple[int, int, str]]:
    spans = []
    for number, line in _logical_lines(read_text(ann)):
        if not line.startswith("T"):
            notes[f"lines_skipped.{line[:1]}"] += 1
            continue
        match = _TEXT_BOUND.fullmatch(line)
        if not match:
            raise ToolkitError(
                f"{where(ann, number)}: expected 'T<n><TAB>Type START END<TAB>text', got {line[:60]!r}"
            )
        kind, ranges, surface = match.groups()
        pieces = [tuple(map(int, piece.split())) for piece in ranges.split(";")]
        for start, end in pieces:
            if not 0 <= start < end <= len(text):
                raise ToolkitError(
                    f"{where(ann, number)}: offsets [{start}, {end}) out of range for a text of {len(text)} characters"
                )
        start, end = pieces[0][0], pieces[-1][1]
        if len(pieces) > 1:
            notes["discontinuous_joined"] += 1
        elif _comparable(text[start:end]) != _comparable(surface):
            raise ToolkitError(
                f"{where(ann, number)}: span text {surface[:40]!r} does not match the text at "
                f"[{start}, {end}): {text[start:end][:40]!r}"
            )
        spans.append((start, end, kind))
    return spans


def _outermost(spans: list[tuple[int, int, str]], notes: Counter) -> list[tuple[int, int, str]]:
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            notes["nested_dropped"] += 1
            continue
        kept.append((start, end, kind))
    return kept


def _sentence_bounds(text: str, lang: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """The splitter's sentences, merged where an entity would be cut."""
    from toolkit.text.sentences import split_sentences

    bounds: list[tuple[int, int]] = []
    for start, end in split_sentences(text, lang):
        if bounds and any(s < bounds[-1][1] < e for s, e, _ in spans):
            bounds[-1] = (bounds[-1][0], end)
        else:
            bounds.append((start, end))
    return bounds


def _document(
    text: str, spans: list[tuple[int, int, str]], doc_id: str, lang: str, notes: Counter
) -> Document:
    from toolkit.text.language import detect_language

    lang = lang or detect_language(text)
    sentences = []
    for start, end in _sentence_bounds(text, lang, spans):
        inside = [Span(s - start, e - start, kind) for s, e, kind in spans if s >= start and e <= end]
        sentence = text[start:end]
        tokens = tokenize_with_boundaries(sentence, [b for span in inside for b in (span.start, span.end)])
        tags = spans_to_bio(tokens, inside)
        notes["entities_not_aligned"] += len(inside) - sum(tag.startswith("B-") for tag in tags)
        if tokens:
            sentences.append(TaggedSentence([token for token, _, _ in tokens], tags))
    return Document(doc_id, lang, sentences)


def read_brat(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of tagged sentences from a BRAT folder (or one `.ann` file); see the module docstring."""
    if path.is_file():
        anns, root = ([path] if path.suffix == ".ann" else [path.with_suffix(".ann")]), path.parent
    else:
        anns, root = sorted(path.rglob("*.ann")), path
    if not anns or not all(ann.is_file() for ann in anns):
        raise ToolkitError(f"{path}: no .ann file found (is it a BRAT folder?)")
    notes: Counter = Counter()
    documents, seen_texts = [], set()
    for ann in anns:
        text_path = _text_for(ann)
        if text_path is None:
            raise ToolkitError(f"{ann}: no text file beside it ({ann.with_suffix('.txt').name})")
        if text_path in seen_texts:
            notes["other_annotators_skipped"] += 1
            continue
        seen_texts.add(text_path)
        text = read_text(text_path)
        spans = _outermost(_read_spans(ann, text, notes), notes)
        notes["entities_read"] += len(spans)
        relative = (
            text_path.relative_to(root).with_suffix("") if text_path.is_relative_to(root) else text_path.stem
        )
        documents.append(_document(text, spans, f"{name}:{relative}", lang, notes))
    return Corpus("entities", documents, notes)
