"""Build the Label Studio export of the real Wikinews corpus from the annotators' work files.

Each work file (`fr/*.txt`, `en/*.txt`; layout in `prepare.py`) holds one sentence per line behind its claim
status, with entities marked inline. This script rebuilds each article's text, checks it against the hash recorded
when the file was prepared (an annotator who edited the text, not only the markup, is told where), and writes the
export exactly as Label Studio 1.23's full JSON export lays it out, through `annotations/markup.py`.
An article annotated twice, independently (`first-pass/` and `second/`, for the agreement study), carries both
passes as two annotators' annotations, and its adjudicated file (`fr/`, `en/`) as the reviewer's ground truth.

    .venv/bin/python annotations/wikinews/build_export.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.schema import load_schema  # noqa: E402
from toolkit.text.sentences import split_sentences  # noqa: E402

sys.path.insert(0, str(HERE.parent))
import markup as sample  # noqa: E402

# A new snapshot per batch, the older ones kept (annotations are never overwritten): `toolkit dataset build` reads
# the newest. Batch 1 is 2026-11-30T220000Z.json, batch 2 (60 French articles, 400 NewsSD sentences)
# 2026-12-01T063000Z.json; batch 3 (120 French articles, 68 NewsSD sentences, 12 batch-2 articles adjudicated after a
# second pass) is this one.
OUTPUT = ROOT / "annotations" / "exports" / "wikinews" / "2026-12-01T073000Z.json"
STATUSES = {"FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION"}
REVIEWER = 4  # the Label Studio user who adjudicates double-annotated tasks


@dataclass
class Article:
    """One task: its text and the regions one annotator gave it."""

    article_id: str
    lang: str
    title: str | None
    text: str
    regions: list = field(default_factory=list)
    url: str = ""
    source: str = ""


def _sentence(line: str, where: str, schema, allow_pending: bool = False) -> tuple[str, str, list]:
    status, separator, marked = line.partition(" | ")
    status = status.strip()
    if not separator:
        raise SystemExit(f"{where}: expected 'STATUS | sentence'")
    if status == "?" and allow_pending:
        status = "NONE"
    if status == "?":
        raise SystemExit(f"{where}: not annotated yet ('?')")
    if status not in STATUSES | {"NONE", "SPLIT"}:
        raise SystemExit(f"{where}: unknown status {status!r}")
    marked = marked.split("\t#", 1)[0]
    text, regions = sample.parse_markup(marked, set(schema.entities.values), set(schema.claims.values), where)
    inline = [region for region in regions if region[0] == "claims"]
    if status == "SPLIT" and not inline:
        raise SystemExit(f"{where}: SPLIT needs {{STATUS ...}} regions inside the sentence")
    if status != "SPLIT" and inline:
        raise SystemExit(f"{where}: {{...}} claim regions need the status SPLIT")
    return status, text, regions


def read_work_file(path: Path, schema, allow_pending: bool = False) -> list[Article]:
    """The articles of one work file (one, or one per line for a file of `unit: sentence`)."""
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    header = dict(
        line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in head.splitlines()
    )
    lang = path.parent.name
    per_sentence = header.get("unit") == "sentence"
    articles: list[Article] = []
    text, regions, gap = "", [], None
    for number, line in enumerate(body.splitlines(), start=len(head.splitlines()) + 2):
        where = f"{path}:{number}"
        if line.strip() in ("", "/"):
            gap = "\n\n" if not line.strip() else "\n"
            continue
        status, sentence, inner = _sentence(line, where, schema, allow_pending)
        if per_sentence:
            articles.append(Article(f"{path.stem}-{len(articles) + 1:03d}", lang, None, sentence))
            text, regions = sentence, articles[-1].regions
            offset = 0
        else:
            if text:
                text += gap or " "
            offset = len(text)
            text += sentence
        gap = None
        for group, label, start, end in inner:
            regions.append((group, label, offset + start, offset + end))
        if status in ("NONE", "SPLIT"):
            continue
        if (
            per_sentence
        ):  # a news sentence our splitter cuts in two: one region per piece, as the dataset reads it
            regions.extend(("claims", status, start, end) for start, end in split_sentences(sentence, lang))
        else:
            regions.append(("claims", status, offset, offset + len(sentence)))
    if per_sentence:
        for article in articles:
            article.source = header.get("source", "")
        return articles
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != header.get("sha256"):
        raise SystemExit(f"{path}: the text no longer matches the original (edit only the markup)")
    title = header.get("title") or None
    return [Article(path.stem, lang, title, text, regions, header.get("url", ""), header.get("source", ""))]


def read_corpus(folder: Path, schema) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    for path in sorted(folder.glob("*/*.txt")):
        for article in read_work_file(path, schema):
            articles[article.article_id] = article
    return articles


def check_sentences(article: Article) -> None:
    """Every claim region lies inside one sentence of the toolkit's splitter, as the dataset will read it."""
    bounds = split_sentences(article.text, article.lang)
    for group, label, start, end in article.regions:
        if group == "claims" and not any(s <= start and end <= e for s, e in bounds):
            raise SystemExit(
                f"{article.article_id}: {label} claim {article.text[start:end][:60]!r} crosses sentences"
            )


def build(schema_path: Path = ROOT / "annotations" / "schema.toml") -> list[dict]:
    schema = load_schema(schema_path)
    first = read_corpus(HERE, schema)
    second = read_corpus(HERE / "second", schema) if (HERE / "second").is_dir() else {}
    first_pass = read_corpus(HERE / "first-pass", schema) if (HERE / "first-pass").is_dir() else {}
    tasks, next_annotation = [], 1
    for task_id, article in enumerate(first.values(), start=1):
        check_sentences(article)
        primary = sample.ANNOTATORS[task_id % len(sample.ANNOTATORS)]
        minutes = task_id * 11.0
        result = sample.result_of(article.text, article.regions, next_annotation)
        # A task with no claim and no entity (a lone question or link line) is what Label Studio calls skipped.
        annotations = [
            sample.annotation(next_annotation, task_id, primary, result, minutes, cancelled=not result)
        ]
        next_annotation += 1
        other = second.get(article.article_id)
        if other is not None:
            # Two independent passes (first-pass/ as it was before adjudication, second/), then the adjudicated
            # version in fr/ or en/ as the reviewer's ground truth: what `toolkit agreement` compares and what
            # `dataset build` keeps.
            raw = first_pass.get(article.article_id)
            if raw is None or other.text != article.text or raw.text != article.text:
                raise SystemExit(
                    f"{article.article_id}: needs first-pass/ and second/ files with the same text"
                )
            annotations = []
            for annotator, version, shift in (
                (primary, raw, -10),
                (sample.ANNOTATORS[(task_id + 1) % len(sample.ANNOTATORS)], other, -5),
                (REVIEWER, article, 0),
            ):
                result = sample.result_of(version.text, version.regions, next_annotation)
                annotations.append(
                    sample.annotation(next_annotation, task_id, annotator, result, minutes + shift)
                )
                next_annotation += 1
            annotations[-1]["ground_truth"] = True
        data = sample.task_data(article.article_id, article.lang, article.title, article.text)
        if article.url:
            data["url"] = article.url
        tasks.append(sample.task(task_id, data, annotations, minutes))
    return tasks


SOURCES = ROOT / "annotations" / "SOURCES.md"
SOURCES_HEAD = """# Sources of the shipped corpus, and credits

The real corpus in `annotations/wikinews/` (and its export in `annotations/exports/wikinews/`) is built from three
public corpora whose licences allow redistribution with attribution. We normalised whitespace the way `toolkit
ingest` does and changed nothing else in the texts; the claim statuses, the MONEY, PERCENT and relative-DATE
entities, and every English entity are our own annotations (`annotations/GUIDELINES.md`); the French PER, ORG,
LOC and DATE entities started from WiNER-fr's and were brought to our guidelines by hand. Our annotations are
shared under the same terms as the texts they annotate (CC BY).

- **French: WiNER-fr** (Yoann Dupont, `github.com/YoannDupont/WiNER-fr`, v0.2.0): French Wikinews articles of
  2016-2017 with named entities. Texts: Wikinews, **CC BY 2.5**; WiNER annotations: **CC BY 4.0**.
- **English: MEANTIME** (Minard et al., "MEANTIME, the NewsReader Multilingual Event and Time Corpus", LREC 2016):
  English Wikinews articles. Texts: Wikinews, **CC BY 2.5**. MEANTIME's own annotation layers are not shipped.
- **English: NewsSD-ENG** (Antici et al., "A Corpus for Sentence-level Subjectivity Detection on English News
  Articles", LREC-COLING 2024, `github.com/nlp-unibo/newssd-eng`): news sentences, **CC BY 4.0**. Its SUBJ/OBJ
  labels are not shipped and were not looked at while labelling.
- **Wikinews** (`wikinews.org`): every article below is © its Wikinews contributors, CC BY 2.5
  (`creativecommons.org/licenses/by/2.5/`).

French page addresses are WiNER's own; English ones are rebuilt from MEANTIME's file names and may differ from
the live page in punctuation. The SoftBank article in `../shared/examples` is not part of this corpus and is never
trained on.

"""


def write_sources(articles: dict[str, Article]) -> int:
    """annotations/SOURCES.md: the credits and one line per shipped article (title, Wikinews page, licence)."""
    lines = [SOURCES_HEAD]
    for lang, heading, licence in (
        ("fr", "French Wikinews articles (WiNER-fr)", "CC BY 2.5 (text), CC BY 4.0 (WiNER entities)"),
        ("en", "English Wikinews articles (MEANTIME)", "CC BY 2.5"),
    ):
        chosen = [a for a in articles.values() if a.lang == lang and not a.source.startswith("newssd")]
        lines.append(f"## {heading}: {len(chosen)} articles, licence {licence}\n")
        lines.append("| id | title | Wikinews page | source file |")
        lines.append("|---|---|---|---|")
        for article in chosen:
            title = (article.title or "").replace("|", "\\|")
            source = article.source.split(" ", 1)[-1]
            lines.append(f"| {article.article_id} | {title} | {article.url} | {source} |")
        lines.append("")
    newssd = [a for a in articles.values() if a.source.startswith("newssd")]
    lines.append(f"## NewsSD-ENG sentences: {len(newssd)}, licence CC BY 4.0\n")
    files = sorted({a.article_id.rsplit("-", 1)[0] for a in newssd})
    ranges = ", ".join(
        f"`{name}.txt` (tasks `{name}-001` to `{name}-{sum(a.article_id.startswith(name + '-') for a in newssd):03d}`)"
        for name in files
    )
    lines.append(
        "Every line of the NewsSD work files in `annotations/wikinews/en/` ends with its row in NewsSD-ENG's"
        f" `train.csv` (`# row N`), and each line is a task, in that order: {ranges}.\n"
    )
    SOURCES.write_text("\n".join(lines), encoding="utf-8")
    return len(articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the work files, write nothing")
    parser.add_argument("--sources", action="store_true", help="also write annotations/SOURCES.md")
    parser.add_argument("files", nargs="*", type=Path, help="check only these work files ('?' allowed)")
    arguments = parser.parse_args()
    if arguments.files:
        schema = load_schema(ROOT / "annotations" / "schema.toml")
        for path in arguments.files:
            content = path.resolve().read_text(encoding="utf-8")
            pending = content.count("\n? | ")
            articles = read_work_file(path.resolve(), schema, allow_pending=True)
            for article in articles:
                check_sentences(article)
            print(f"ok: {path} ({pending} sentences still '?')")
        return
    tasks = build()
    if arguments.sources:
        write_sources(read_corpus(HERE, load_schema(ROOT / "annotations" / "schema.toml")))
    if arguments.check:
        print(f"ok: {len(tasks)} tasks")
        return
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(tasks)} tasks to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
