"""Saved web pages: trafilatura (what `toolkit ingest page.html` uses) against stripping the tags naively.

Both outputs then go through the same normalisation, boilerplate rules and sentence split as any ingest
input. On each page of tests/fixtures/ingest/html (expected.json gives the article as published):
- kept: share of the article's sentences found in the ingested text;
- leaked: sentences of the ingested text that are not in the article (menus, links, adverts, footers);
- title / date / author: equal to the page's (only extract_page returns them).
`trafilatura text, untrimmed` is trafilatura.extract's text before extract_page drops the headline and the
headings and lists after the last paragraph.

    .venv-html/bin/python bench/html_ingest.py
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.ingest.boilerplate import clean_lines, load_rules  # noqa: E402
from toolkit.ingest.html import extract_page  # noqa: E402
from toolkit.text.normalize import normalize  # noqa: E402
from toolkit.text.sentences import split_sentences  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "ingest" / "html"
_BLOCK = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|tr|td|th|table|br|header|footer|nav|aside|section|article|figure|"
    r"figcaption|form|main|title|span class=\"tag\")\b[^>]*>",
    re.IGNORECASE,
)


def naive_text(page: bytes) -> str:
    """The page's text as a tag stripper gives it: scripts and styles out, block tags to line breaks."""
    text = page.decode("utf-8", errors="replace")
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "\n", text)
    text = _BLOCK.sub("\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def untrimmed(page: bytes) -> str:
    """trafilatura's own text output, before extract_page drops the headline and the trailing link lists."""
    import trafilatura

    return trafilatura.extract(page, include_comments=False, include_tables=False) or ""


def sentences(text: str, lang: str) -> list[str]:
    return [" ".join(text[start:end].split()) for start, end in split_sentences(text, lang)]


def score(cleaned: str, article: str, lang: str) -> dict[str, object]:
    flat = " ".join(article.split())
    gold = sentences(article, lang)
    got = sentences(cleaned, lang)
    flat_got = " ".join(cleaned.split())
    kept = sum(sentence in flat_got for sentence in gold)
    leaked = [sentence for sentence in got if sentence not in flat]
    return {"gold": len(gold), "kept": kept, "leaked": len(leaked), "leaked_examples": leaked[:4]}


def main() -> None:
    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    rules = load_rules()
    rows = []
    totals = {method: [0, 0, 0, 0] for method in ("trafilatura", "trafilatura text, untrimmed", "naive")}
    for name, reference in expected.items():
        content = (PAGES / name).read_bytes()
        start = time.perf_counter()
        page = extract_page(content)
        seconds = time.perf_counter() - start
        for method, raw, found in (
            ("trafilatura", page.text, page),
            ("trafilatura text, untrimmed", untrimmed(content), None),
            ("naive", naive_text(content), None),
        ):
            cleaned = clean_lines(normalize(raw), rules).text
            result = score(cleaned, normalize(reference["article"]), reference["lang"])
            metadata = (
                sum(
                    getattr(found, field) == reference[field]
                    for field in ("title", "date", "author")
                    if reference[field]
                )
                if found
                else 0
            )
            fields = sum(1 for field in ("title", "date", "author") if reference[field])
            total = totals[method]
            total[0] += result["gold"]
            total[1] += result["kept"]
            total[2] += result["leaked"]
            total[3] += metadata
            rows.append(
                (
                    name,
                    method,
                    f"{result['kept']}/{result['gold']}",
                    result["leaked"],
                    f"{metadata}/{fields}",
                    f"{seconds * 1000:.0f}" if method == "trafilatura" else "–",
                    "; ".join(s[:60] for s in result["leaked_examples"]),
                )
            )
    print(
        "| page | method | article sentences kept | sentences leaked | title/date/author right | ms | leaked, first ones |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    fields = sum(1 for ref in expected.values() for f in ("title", "date", "author") if ref[f])
    for method, (gold, kept, leaked, metadata) in totals.items():
        print(
            f"\n{method}: kept {kept}/{gold} = {kept / gold:.1%} of the article sentences,"
            f" {leaked} sentences leaked, metadata {metadata}/{fields}"
        )


if __name__ == "__main__":
    main()
