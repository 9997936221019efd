"""Readers of public corpora that only hint at a claim status: sentence labels derived from another layer.

- **MEANTIME** (`*.xml.conll`: `index token event certainty polarity time`): a sentence is `hedged` when one of
  its events is PROBABLE or POSSIBLE, else `future` when one is FUTURE, else `certain` when it has a CERTAIN
  event, else `no_event` (MEANTIME marks only some events, so a sentence without one says little).
- **PolNeAR** (BRAT folders `text/` + `attributions/`): a sentence is `speech` when an attribution's cue in it is
  a verb of saying ("said", "told", "according to"), `belief` when its attributions are only of belief or
  feeling ("likes", "thinks", "fears": judgements more often than reports), `none` without attribution.
- **NewsSD** (CSV `Sentence,Label`): `SUBJ` / `OBJ` as given.

The labels stay the corpus's own: an experiment maps them into our statuses with `[[data.sources]] labels`
(`hedged = "SPECULATIVE"`, `no_event = ""`), so the mapping is a choice measured by ablation, not baked in here.
Token files are joined back into text with the spaces a writer would use ("said ," → "said,").
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, LabelledSentence
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text

__all__ = ["read_meantime", "read_polnear", "read_newssd", "detokenize", "MEANTIME_LABELS", "POLNEAR_LABELS"]

MEANTIME_LABELS = ("hedged", "future", "certain", "no_event")
POLNEAR_LABELS = ("speech", "belief", "none")
NEWSSD_LABELS = ("SUBJ", "OBJ")

# A cue of reported speech (PolNeAR also annotates beliefs and feelings as attributions: those are not REPORTED).
SPEECH_CUE = re.compile(
    r"(?i)\b(?:say|says|said|saying|tell|tells|told|state[sd]?|announc\w*|report\w*|add(?:s|ed)|claim\w*|"
    r"confirm\w*|explain\w*|not(?:e|es|ed)|warn\w*|insist\w*|argu\w*|den(?:y|ies|ied)|reveal\w*|disclos\w*|"
    r"comment\w*|wr(?:ote|ites?)|declar\w*|repl(?:y|ies|ied)|acknowledg\w*|admit\w*|accord\w*|tweet\w*|"
    r"statement|interview|quot\w*|cit\w*|testif\w*|show(?:s|ed)?|found|asked|responded|according)\b"
)
_NO_SPACE_BEFORE = re.compile(r" (?=[.,;:!?%)\]}]|n't\b|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b)")
_NO_SPACE_AFTER = re.compile(r"(?<=[(\[{$]) ")


def detokenize(tokens: list[str]) -> str:
    """Tokens joined as running text: no space before closing punctuation and clitics, none after "(" or "$"."""
    # Straight quotes: the opening one hugs the next word, the closing one the previous word.
    parts, opened = [], False
    for piece in re.split(r'( ?" ?)', " ".join(tokens)):
        if piece.strip() == '"':
            parts.append(' "' if not opened else '" ')
            opened = not opened
        else:
            parts.append(piece)
    text = " ".join("".join(parts).split())
    return _NO_SPACE_AFTER.sub("", _NO_SPACE_BEFORE.sub("", text))


def _meantime_label(columns: list[list[str]]) -> str:
    certainty = {row[3].split("-")[1] for row in columns if len(row) > 5 and row[3] != "_"}
    time = {row[5].split("-")[1] for row in columns if len(row) > 5 and row[5] != "_"}
    if certainty & {"PROBABLE", "POSSIBLE"}:
        return "hedged"
    if "FUTURE" in time:
        return "future"
    if "CERTAIN" in certainty:
        return "certain"
    return "no_event"


def _meantime_file(path: Path, notes: Counter) -> Document:
    # File names start with the Wikinews page id ("100911_Northrop_..."): the shipped corpus calls it en-100911.
    number = path.name.split("_", 1)[0]
    document = Document(f"en-{number}" if number.isdigit() else path.name, "en")
    block: list[list[str]] = []
    lines = read_text(path).splitlines() + [""]
    for line_number, line in enumerate(lines, start=1):
        if line.strip():
            row = line.split("\t")
            if len(row) < 6:
                raise ToolkitError(
                    f"{where(path, line_number)}: expected 6 tab-separated columns, got {len(row)}"
                )
            block.append(row)
            continue
        if block:
            label = _meantime_label(block)
            notes[f"labels.{label}"] += 1
            document.sentences.append(
                LabelledSentence(detokenize([row[1] for row in block]), label, line_number)
            )
            block = []
    return document


def read_meantime(path: Path, *, name: str, lang: str) -> Corpus:
    """MEANTIME CoNLL factuality files (a folder of `*.conll` or one file): one document per article."""
    files = sorted(path.glob("*.conll")) if path.is_dir() else [path]
    if not files:
        raise ToolkitError(f"{path}: no *.conll file (expected MEANTIME's conll folder)")
    notes: Counter = Counter()
    documents = [_meantime_file(file, notes) for file in files]
    return Corpus("claims", [document for document in documents if document.sentences], notes)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from toolkit.text.sentences import split_sentences

    return split_sentences(text, "en")


def _polnear_cues(ann: str) -> list[tuple[int, int, str]]:
    """(start, end, cue text) of every attribution cue of a BRAT .ann file (discontinuous spans: their hull)."""
    cues = []
    for line in ann.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not fields[0].startswith("T"):
            continue
        kind, *offsets = fields[1].replace(";", " ").split()
        if kind != "Cue" or not offsets:
            continue
        numbers = [int(offset) for offset in offsets]
        cues.append((min(numbers), max(numbers), fields[2]))
    return cues


def read_polnear(path: Path, *, name: str, lang: str) -> Corpus:
    """A PolNeAR split folder (`text/*.txt`, `attributions/*.ann`): one annotator per article (the first file)."""
    texts = sorted((path / "text").glob("*.txt"))
    if not texts:
        raise ToolkitError(
            f"{path}: no text/*.txt (expected a PolNeAR split folder: text/ and attributions/)"
        )
    notes: Counter = Counter()
    documents = []
    for text_path in texts:
        annotations = sorted((path / "attributions").glob(f"{text_path.stem}_*.ann"))
        if not annotations:
            notes["articles_without_annotation"] += 1
            continue
        text = read_text(text_path)
        cues = _polnear_cues(read_text(annotations[0]))
        document = Document(f"{name}:{text_path.stem}", lang or "en")
        for start, end in _sentence_spans(text):
            inside = [cue for begin, stop, cue in cues if start <= begin < end]
            label = (
                "none" if not inside else "speech" if any(SPEECH_CUE.search(c) for c in inside) else "belief"
            )
            sentence = " ".join(text[start:end].split())
            if sentence:
                notes[f"labels.{label}"] += 1
                document.sentences.append(LabelledSentence(sentence, label))
        if document.sentences:
            documents.append(document)
    return Corpus("claims", documents, notes)


def read_newssd(path: Path, *, name: str, lang: str) -> Corpus:
    """NewsSD-ENG CSV (`Sentence,Label,...`): each sentence its own document, SUBJ or OBJ."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    if not reader.fieldnames or not {"Sentence", "Label"} <= set(reader.fieldnames):
        raise ToolkitError(f"{path}: expected a CSV with the columns Sentence and Label (NewsSD-ENG)")
    documents, notes = [], Counter()
    for number, row in enumerate(reader, start=1):
        text, label = " ".join((row["Sentence"] or "").split()), (row["Label"] or "").strip()
        if label not in NEWSSD_LABELS:
            raise ToolkitError(f"{where(path, reader.line_num)}: label must be SUBJ or OBJ, got {label!r}")
        if text:
            notes[f"labels.{label}"] += 1
            documents.append(Document(f"{name}-{number:03d}", lang or "en", [LabelledSentence(text, label)]))
    return Corpus("claims", documents, notes)
