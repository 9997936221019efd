"""Our language detector and sentence splitter against offline libraries from PyPI, on real corpus text.

Language (fr/en), accuracy on whole texts and on single sentences:
- annotations/exports/wikinews (the shipped real corpus: 602 tasks with `lang`, their sentences from `sentences`);
- ../shared/data/newssd-subjectivity (English news sentences) and ../shared/data/winer-fr (French articles).
Peers: langdetect 1.0.9 (seeded; the larger of its fr/en probabilities), py3langid 0.4.0 restricted to fr/en.

Sentence boundaries (English): MEANTIME's CoNLL files (one token per line, a blank line between sentences):
tokens are aligned to ../shared/data/meantime-en/text, the gold boundaries are the ends of the CoNLL
sentences in the article body; boundary precision, recall and F1 (the end of the text is not counted).
Peers: pysbd 0.3.4 (rule-based, no data to download), sentencex 1.0.32.

    .venv-html/bin/pip install langdetect py3langid pysbd sentencex
    .venv-html/bin/python bench/text_libraries.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.text.language import detect_language  # noqa: E402
from toolkit.text.sentences import split_sentences  # noqa: E402

# ---- language ------------------------------------------------------------------------------------------


def language_sets(data: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(text, gold lang)]."""
    sets: dict[str, list[tuple[str, str]]] = {}
    [export] = sorted((ROOT / "annotations" / "exports" / "wikinews").glob("*.json"))[-1:]
    tasks = [task["data"] for task in json.loads(export.read_text(encoding="utf-8"))]
    sets["wikinews export, texts"] = [(task["text"], task["lang"]) for task in tasks]
    sets["wikinews export, sentences"] = [
        (task["text"][start:end], task["lang"]) for task in tasks for start, end in task["sentences"]
    ]
    newssd = data / "newssd-subjectivity"
    if newssd.is_dir():
        rows = []
        for name in ("train.csv", "val.csv"):
            with (newssd / name).open(encoding="utf-8", newline="") as handle:
                rows += [(row["Sentence"].strip(), "en") for row in csv.DictReader(handle)]
        sets["newssd sentences (en)"] = rows
    winer = data / "winer-fr"
    if winer.is_dir():
        texts = [path.read_text(encoding="utf-8") for path in sorted(winer.glob("*/*/*.txt"))]
        sets["winer-fr articles"] = [(text, "fr") for text in texts]
        sets["winer-fr lines"] = [
            (line, "fr") for text in texts for line in text.splitlines() if line.strip()
        ]
    # Short texts (a dateline, a name) carry little evidence for any detector: the same sets, 8 words and more.
    for name in ("wikinews export, sentences", "winer-fr lines"):
        if name in sets:
            sets[f"{name}, ≥ 8 words"] = [(text, lang) for text, lang in sets[name] if len(text.split()) >= 8]
    return sets


def language_detectors() -> dict[str, Callable[[str], str]]:
    detectors: dict[str, Callable[[str], str]] = {"toolkit (rules)": detect_language}
    try:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0

        def langdetect_fr_en(text: str) -> str:
            try:
                found = {item.lang: item.prob for item in detect_langs(text)}
            except LangDetectException:
                return "en"
            return "fr" if found.get("fr", 0) > found.get("en", 0) else "en"

        detectors["langdetect"] = langdetect_fr_en
    except ImportError:
        print("langdetect not installed: skipped", file=sys.stderr)
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
        identifier.set_languages(["fr", "en"])
        detectors["py3langid (fr/en)"] = lambda text: identifier.classify(text)[0]
    except ImportError:
        print("py3langid not installed: skipped", file=sys.stderr)
    return detectors


def compare_languages(data: Path) -> None:
    sets = language_sets(data)
    detectors = language_detectors()
    print("### Language: accuracy (errors), and texts per second\n")
    print("| set | texts | " + " | ".join(detectors) + " |")
    print("|---|---:|" + "---:|" * len(detectors))
    for name, items in sets.items():
        cells = []
        for detect in detectors.values():
            start = time.perf_counter()
            wrong = sum(detect(text) != gold for text, gold in items)
            seconds = time.perf_counter() - start
            cells.append(f"{1 - wrong / len(items):.4f} ({wrong}), {len(items) / seconds:,.0f}/s")
        print(f"| {name} | {len(items):,} | " + " | ".join(cells) + " |")


# ---- sentences -----------------------------------------------------------------------------------------


def meantime_documents(data: Path) -> list[tuple[str, list[int]]]:
    """(article body, gold sentence end offsets in it) for each MEANTIME article whose tokens align."""
    documents = []
    for conll in sorted((data / "meantime-en" / "conll").glob("*.conll")):
        text_path = data / "meantime-en" / "text" / (conll.name.removesuffix(".xml.conll") + ".txt")
        if not text_path.is_file():
            continue
        text = text_path.read_text(encoding="utf-8")
        blocks = [
            [line.split("\t")[1] for line in block.splitlines() if line.strip()]
            for block in conll.read_text(encoding="utf-8").split("\n\n")
        ]
        blocks = [block for block in blocks if block]
        body = text.split("\n", 1)[1]
        position, ends, aligned = 0, [], True
        for block in blocks[1:]:  # the first block is the title line
            for token in block:
                token = '"' if token in ("``", "''") else token
                found = body.find(token, position)
                if found < 0 or body[position:found].strip():
                    aligned = False
                    break
                position = found + len(token)
            if not aligned:
                break
            ends.append(position)
        if aligned:
            lead = len(body) - len(body.lstrip())
            documents.append((body.strip(), [end - lead for end in ends]))
    return documents


def splitters() -> dict[str, Callable[[str], list[int]]]:
    """name -> function giving the end offsets of the sentences of an English text."""

    def ours(text: str) -> list[int]:
        return [end for _, end in split_sentences(text, "en")]

    found: dict[str, Callable[[str], list[int]]] = {"toolkit (rules)": ours}
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

        def pysbd_ends(text: str) -> list[int]:
            return [span.start + len(span.sent.rstrip()) for span in segmenter.segment(text)]

        found["pysbd"] = pysbd_ends
    except ImportError:
        print("pysbd not installed: skipped", file=sys.stderr)
    try:
        from sentencex import segment

        def sentencex_ends(text: str) -> list[int]:
            ends, position = [], 0
            for sentence in segment("en", text):
                piece = sentence.strip()
                if not piece:
                    continue
                position = text.find(piece, position) + len(piece)
                ends.append(position)
            return ends

        found["sentencex"] = sentencex_ends
    except ImportError:
        print("sentencex not installed: skipped", file=sys.stderr)
    return found


def compare_sentences(data: Path) -> None:
    documents = meantime_documents(data)
    if not documents:
        print("MEANTIME absent: sentence comparison skipped")
        return
    gold_total = sum(sum(end < len(text) for end in ends) for text, ends in documents)
    print(
        f"\n### Sentence boundaries: MEANTIME (en), {len(documents)} articles, {gold_total:,} gold boundaries\n"
    )
    print("| splitter | precision | recall | F1 | boundaries found | articles/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, split in splitters().items():
        true_positive = found_total = 0
        start = time.perf_counter()
        for text, gold in documents:
            predicted = {end for end in split(text) if end < len(text)}
            expected = {end for end in gold if end < len(text)}
            true_positive += len(predicted & expected)
            found_total += len(predicted)
        seconds = time.perf_counter() - start
        precision = true_positive / found_total
        recall = true_positive / gold_total
        f1 = 2 * precision * recall / (precision + recall)
        print(
            f"| {name} | {precision:.4f} | {recall:.4f} | {f1:.4f} | {found_total:,} |"
            f" {len(documents) / seconds:,.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    arguments = parser.parse_args()
    compare_languages(arguments.data)
    compare_sentences(arguments.data)


if __name__ == "__main__":
    main()
