"""Szeged Uncertainty Corpus and BioScope XML: sentences labelled `certain` or `uncertain`.

Both are `Annotation/DocumentSet/Document` with a `DocID` and `DocumentPart`s of sentences (`Sentence` in the
Szeged corpus, `sentence` in BioScope). A sentence is `uncertain` when it holds a speculation cue (CoNLL-2010
convention): a Szeged `<ccue type="speculation_...">` or a BioScope `<cue type="speculation">`. Negation cues
do not count. A `certainty` attribute on the sentence, when present, is taken as given.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

from toolkit.dataset.importers.common import Corpus, Document, LabelledSentence
from toolkit.errors import ToolkitError, where
from toolkit.io import read_text

__all__ = ["read_uncertainty_xml", "LABELS", "is_uncertain"]

LABELS = ("certain", "uncertain")
_SENTENCE = frozenset({"Sentence", "sentence"})
_CUE = frozenset({"ccue", "cue"})


def is_uncertain(sentence: ElementTree.Element) -> bool:
    given = sentence.get("certainty")
    if given in LABELS:
        return given == "uncertain"
    return any(
        element.tag in _CUE and (element.get("type") or "").strip().startswith("speculation")
        for element in sentence.iter()
    )


def read_uncertainty_xml(path: Path, *, name: str, lang: str) -> Corpus:
    """Documents of certain/uncertain sentences from a Szeged uncertainty or BioScope XML file."""
    try:
        root = ElementTree.fromstring(read_text(path))
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else None
        raise ToolkitError(f"{where(path, line)}: malformed XML ({str(error).split(':')[0]})") from None
    notes: Counter = Counter()
    documents: list[Document] = []
    elements = list(root.iter("Document"))
    if not elements:
        raise ToolkitError(f"{path}: no <Document> element (expected Szeged uncertainty or BioScope XML)")
    for index, element in enumerate(elements, start=1):
        document = Document(f"{name}:{(element.findtext('DocID') or '').strip() or index}", lang)
        for sentence in element.iter():
            if sentence.tag not in _SENTENCE:
                continue
            text = " ".join("".join(sentence.itertext()).split())
            if not text:
                notes["empty_sentences_skipped"] += 1
                continue
            label = LABELS[is_uncertain(sentence)]
            document.sentences.append(LabelledSentence(text, label))
            for cue in sentence.iter():
                if cue.tag in _CUE:
                    notes[f"cues.{(cue.get('type') or '').strip()}"] += 1
        if document.sentences:
            documents.append(document)
    if not documents:
        raise ToolkitError(f"{path}: no sentence in any <Document>")
    return Corpus("claims", documents, notes)
