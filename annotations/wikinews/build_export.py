"""Build the Label Studio export of the real Wikinews corpus from the annotators' work files.

Each work file (`fr/*.txt`, `en/*.txt`; layout in `prepare.py`) holds one sentence per line behind its claim
status, with entities marked inline. This script rebuilds each article's text, checks it against the hash recorded
when the file was prepared (an annotator who edited the text, not only the markup, is told where), and writes the
export exactly as Label Studio 1.23's full JSON export lays it out, through `annotations/markup.py`.
An article annotated a second time, independently (`second/<lang>/<id>.txt`, for the agreement study), gets a second
annotation by another annotator; the adjudicated first file is the reviewer's ground truth.

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

OUTPUT = ROOT / "annotations" / "exports" / "wikinews" / "2026-11-30T220000Z.json"
STATUSES = {"FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION"}
GAPS = {"": " ", "/": "\n"}


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
    tasks, next_annotation = [], 1
    for task_id, article in enumerate(first.values(), start=1):
        check_sentences(article)
        primary = sample.ANNOTATORS[task_id % len(sample.ANNOTATORS)]
        minutes = task_id * 11.0
        result = sample.result_of(article.text, article.regions, next_annotation)
        annotations = [sample.annotation(next_annotation, task_id, primary, result, minutes)]
        next_annotation += 1
        other = second.get(article.article_id)
        if other is not None:
            if other.text != article.text:
                raise SystemExit(
                    f"second/{article.lang}/{article.article_id}: text differs from the first pass"
                )
            independent = sample.ANNOTATORS[(task_id + 1) % len(sample.ANNOTATORS)]
            result = sample.result_of(other.text, other.regions, next_annotation)
            annotations.insert(
                0, sample.annotation(next_annotation, task_id, independent, result, minutes - 5)
            )
            next_annotation += 1
            annotations[-1]["ground_truth"] = True  # adjudicated
        data = sample.task_data(article.article_id, article.lang, article.title, article.text)
        if article.url:
            data["url"] = article.url
        tasks.append(sample.task(task_id, data, annotations, minutes))
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the work files, write nothing")
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
    if arguments.check:
        print(f"ok: {len(tasks)} tasks")
        return
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(tasks)} tasks to {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
