"""Choose the real Wikinews articles we annotate and write one work file per article (run once).

The shipped real corpus is French Wikinews from WiNER-fr and English Wikinews from MEANTIME (both CC BY, see
`annotations/SOURCES.md`). This script reads them from `../shared/data`, normalises each body exactly as
`toolkit ingest` does, splits it into sentences with the toolkit's splitter, and writes a work file an annotator
edits: one sentence per line behind a `?` status, French entities pre-filled from WiNER's own gold spans
(outermost Person/Organization/Location/Date; Hour, Event and Product dropped). Annotators then bring every line to
`annotations/GUIDELINES.md`: a claim status, our entity boundaries, relative dates, MONEY and PERCENT.

Work file layout (`build_export.py` reads it back and checks the text against the recorded hash):

    title: <title>
    url: <Wikinews page, when the corpus gives one>
    source: winer-fr 2016/01/2016_01_01-001.txt
    sha256: <hash of the normalised body>

    ? | First sentence with [ORG entities] marked.
    ? | Second sentence on the same line of the original text.
    /
    ? | A sentence after a line break ("/" alone on a line).

    ? | A sentence after a paragraph break (a blank line).

A status is FACT, REPORTED, SPECULATIVE, FORECAST, OPINION or NONE; SPLIT when the sentence holds two claims
of different status marked inline as `{STATUS ...}`.

    python annotations/wikinews/prepare.py [--data ../shared/data] [--batch 2] [--output annotations/wikinews]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.text.normalize import normalize  # noqa: E402
from toolkit.text.sentences import split_sentences  # noqa: E402

WINER_TYPES = {"Person": "PER", "Organization": "ORG", "Location": "LOC", "Date": "DATE"}
# Economy, business, technology, energy and policy first (issue: prefer them), by words of the page title.
FRENCH_TOPICS = re.compile(
    r"économ|entrepris|bours|banqu|financ|budget|impôt|fiscal|emploi|chômage|grève|salari|industri|énergi|"
    r"pétrol|nucléaire|électri|technolog|internet|numérique|apple|google|facebook|microsoft|samsung|tesla|"
    r"renault|peugeot|airbus|boeing|euro|dollar|commerce|marché|prix|dette|croissance|inflation|réforme|"
    r"loi_|gouvernement|ministre|brexit|accord|vente|rachat|fusion|investi|start|télécom|orange|sncf|edf|"
    r"total|climat|agricult|automobile|aérien|compagnie|transport|taxe|travail|crise|pib|smartphone",
    re.IGNORECASE,
)
FRENCH_ARTICLES = 230
# MEANTIME's 112 articles hold ~1,370 sentences: real English news sentences from NewsSD-ENG (CC BY 4.0) bring
# English past 1,500. Each is its own task (the corpus has no article structure).
NEWSSD_SENTENCES = 260
MIN_SENTENCES, MAX_SENTENCES = 3, 40
# Later batches (issue 9: more labelled news for SPECULATIVE, FORECAST and OPINION): every topic article is in
# batch 1, so the next French articles are the longer unused ones (6-25 sentences, more claims per article read)
# spread over the two years; the next English sentences are NewsSD-ENG training rows no earlier batch took, spread
# over the file, in files of NEWSSD_PER_FILE so that annotators can share them. MEANTIME is used up by batch 1, and
# batch 3 takes the last NewsSD rows: the CC BY English news in ../shared/data ends there.
BATCHES = {2: (60, 400), 3: (120, 400)}  # batch: (French articles, NewsSD sentences)
NEWSSD_PER_FILE = 200


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def escape(text: str) -> str:
    """The text's own brackets and braces, escaped so that they are not read as markup."""
    return re.sub(r"([\[\]{}\\])", r"\\\1", text)


def offset_map(raw: str, normalised: str) -> dict[int, int]:
    """Positions of `raw` mapped to `normalised` where the characters survived normalisation."""
    mapping = {}
    matcher = difflib.SequenceMatcher(None, raw, normalised, autojunk=False)
    for block in matcher.get_matching_blocks():
        for step in range(block.size):
            mapping[block.a + step] = block.b + step
    return mapping


def winer_entities(ann: Path, body_start: int, raw_body: str, text: str) -> list[tuple[int, int, str]]:
    """WiNER's outermost PER/ORG/LOC/DATE spans, moved into the normalised body."""
    spans = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        if not line.startswith("T"):
            continue
        _, middle, surface = line.split("\t")
        kind, _, where = middle.partition(" ")
        if ";" in where:
            continue  # the one discontinuous span in the corpus
        start, end = (int(number) - body_start for number in where.split())
        if start < 0:
            continue  # in the title
        spans.append((start, end, kind))
    mapping = offset_map(raw_body, text)
    moved = []
    for start, end, kind in spans:
        if start not in mapping or end - 1 not in mapping:
            continue
        moved.append((mapping[start], mapping[end - 1] + 1, kind))
    moved.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    outermost: list[tuple[int, int, str]] = []
    for start, end, kind in moved:
        if outermost and start < outermost[-1][1]:
            continue
        outermost.append((start, end, kind))
    # Outermost first, then our types: a Location inside a Product (dropped) is dropped with it.
    return [(start, end, WINER_TYPES[kind]) for start, end, kind in outermost if kind in WINER_TYPES]


def work_file(title: str, url: str, source: str, text: str, lang: str, entities) -> str:
    lines = [f"title: {title}", f"url: {url}", f"source: {source}", f"sha256: {digest(text)}", ""]
    sentences = split_sentences(text, lang)
    previous_end = None
    for start, end in sentences:
        if previous_end is not None:
            gap = text[previous_end:start]
            if "\n\n" in gap:
                lines.append("")
            elif "\n" in gap:
                lines.append("/")
            elif gap != " ":
                raise SystemExit(f"{source}: unexpected gap {gap!r} between sentences")
        marked, cursor = [], start
        for entity_start, entity_end, label in entities:
            if entity_start >= start and entity_end <= end:
                marked.append(escape(text[cursor:entity_start]))
                marked.append(f"[{label} {escape(text[entity_start:entity_end])}]")
                cursor = entity_end
        marked.append(escape(text[cursor:end]))
        lines.append("? | " + "".join(marked))
        previous_end = end
    if sentences and text[: sentences[0][0]].strip():
        raise SystemExit(f"{source}: text before the first sentence")
    return "\n".join(lines) + "\n"


def _winer_urls(data: Path) -> dict[str, str]:
    """WiNER-fr's article id → Wikinews page address, from its monthly listings."""
    urls = {}
    for listing in sorted(data.glob("winer-fr/*/*-urls.txt")):
        for line in listing.read_text(encoding="utf-8").splitlines():
            article_id, _, url = line.partition("\t")
            urls[article_id] = url.strip()
    return urls


def _winer_articles(data: Path):
    """Every WiNER-fr article in file order: (path, title, raw body, normalised body, sentence count)."""
    for path in sorted(data.glob("winer-fr/*/*/*.txt")):
        title, _, raw_body = path.read_text(encoding="utf-8").partition("\n")
        text = normalize(raw_body)
        yield path, title, raw_body, text, len(split_sentences(text, "fr"))


def _french_record(data: Path, path: Path, title: str, raw_body: str, text: str, url: str) -> tuple[str, str]:
    """One French work file, WiNER's entities pre-filled."""
    entities = winer_entities(path.with_suffix(".ann"), len(title) + 1, raw_body, text)
    source = f"winer-fr {path.relative_to(data / 'winer-fr')}"
    return path.stem, work_file(title.strip(), url, source, text, "fr", entities)


def french(data: Path) -> list[tuple[str, str]]:
    urls = _winer_urls(data)
    chosen, others = [], []
    for path, title, raw_body, text, count in _winer_articles(data):
        if not MIN_SENTENCES <= count <= MAX_SENTENCES:
            continue
        url = urls.get(path.stem, "")
        record = _french_record(data, path, title, raw_body, text, url)
        (chosen if FRENCH_TOPICS.search(url + " " + title) else others).append(record)
    # Fill with other articles spread over the two years, deterministically.
    step = max(1, len(others) // max(1, FRENCH_ARTICLES - len(chosen)))
    return (chosen + others[::step])[:FRENCH_ARTICLES]


def english(data: Path) -> list[tuple[str, str]]:
    records = []
    for path in sorted(data.glob("meantime-en/text/*.txt")):
        title, _, raw_body = path.read_text(encoding="utf-8").strip().partition("\n")
        text = normalize(raw_body)
        number, _, slug = path.stem.partition("_")
        url = "https://en.wikinews.org/wiki/" + slug
        source = f"meantime-en text/{path.name}"
        records.append((f"en-{number}", work_file(title.strip(), url, source, text, "en", [])))
    return records


def _newssd_rows(data: Path) -> list[dict[str, str]]:
    import csv

    with (data / "newssd-subjectivity" / "train.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _newssd_file(title: str, rows: list[tuple[int, str]]) -> str:
    """A work file of one task per sentence: each line ends with the sentence's row in train.csv."""
    lines = [f"title: {title}", "url: ", "source: newssd-subjectivity train.csv", "unit: sentence", ""]
    lines += [f"? | {escape(text.replace(chr(10), ' '))}\t# row {row}" for row, text in rows]
    return "\n".join(lines) + "\n"


def newssd(data: Path) -> list[tuple[str, str]]:
    """Every k-th NewsSD-ENG training sentence, one work file holding them, one task per sentence."""
    rows = _newssd_rows(data)
    step = len(rows) // NEWSSD_SENTENCES
    picked, seen = [], set()
    for number in range(0, len(rows), step):
        text = normalize(rows[number]["Sentence"])
        if text in seen or len(seen) == NEWSSD_SENTENCES:
            continue
        seen.add(text)
        picked.append((number + 2, text))
    return [("newssd-train", _newssd_file("NewsSD-ENG training sentences (one task each)", picked))]


def french_more(data: Path, done: set[str], count: int) -> list[tuple[str, str]]:
    """`count` unused WiNER-fr articles of 6-25 sentences, evenly spread over the two years."""
    records = [
        (path, title, raw_body, text)
        for path, title, raw_body, text, sentences in _winer_articles(data)
        if path.stem not in done and 6 <= sentences <= 25
    ]
    step = max(1, len(records) // count)
    urls = _winer_urls(data)
    return [
        _french_record(data, path, title, raw_body, text, urls.get(path.stem, ""))
        for path, title, raw_body, text in records[::step][:count]
    ]


def newssd_more(data: Path, used_rows: set[int], count: int, batch: int) -> list[tuple[str, str]]:
    """`count` NewsSD-ENG training rows no earlier batch took, evenly spread, in files of NEWSSD_PER_FILE."""
    seen, candidates = set(), []
    for number, row in enumerate(_newssd_rows(data)):
        text = normalize(row["Sentence"])
        if number + 2 in used_rows or text in seen:
            continue
        seen.add(text)
        candidates.append((number + 2, text))
    step = max(1, len(candidates) // count)
    picked = candidates[::step][:count]
    title = f"NewsSD-ENG training sentences, batch {batch} (one task each)"
    return [
        (
            f"newssd-train-{batch}{'abcdefgh'[part]}",
            _newssd_file(title, picked[first : first + NEWSSD_PER_FILE]),
        )
        for part, first in enumerate(range(0, len(picked), NEWSSD_PER_FILE))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--output", type=Path, default=HERE / "work")
    parser.add_argument("--batch", type=int, choices=(1, *BATCHES), default=1)
    arguments = parser.parse_args()
    if arguments.batch == 1:
        batches = (("fr", french(arguments.data)), ("en", english(arguments.data) + newssd(arguments.data)))
    else:
        articles, sentences = BATCHES[arguments.batch]
        done = {path.stem for path in (HERE / "fr").glob("*.txt")}
        used_rows = {
            int(row)
            for path in (HERE / "en").glob("newssd-train*.txt")
            for row in re.findall(r"# row (\d+)", path.read_text("utf-8"))
        }
        batches = (
            ("fr", french_more(arguments.data, done, articles)),
            ("en", newssd_more(arguments.data, used_rows, sentences, arguments.batch)),
        )
    for lang, records in batches:
        folder = arguments.output / lang
        folder.mkdir(parents=True, exist_ok=True)
        for article_id, content in records:
            target = folder / f"{article_id}.txt"
            if not target.exists():  # never overwrite an annotator's work
                target.write_text(content, encoding="utf-8")
        print(f"{lang}: {len(records)} articles, {sum(c.count('? | ') for _, c in records)} sentences")


if __name__ == "__main__":
    main()
