"""Turn raw news articles into clean, deduplicated, sentence-split records (`toolkit ingest`).

Inputs are .txt and saved web pages .html/.htm (one article per file; a page's main text, title, date and author
are extracted by trafilatura), .jsonl and .csv (one article per line or row, a `text` field and
optional `id`, `title`, `lang`), directories of those, and Hugging Face datasets saved with `save_to_disk`.
The output is JSONL, one `Article` per line; `read_articles` reads it back, checked.
"""

from __future__ import annotations

from toolkit.ingest.articles import read_articles, write_articles
from toolkit.ingest.boilerplate import Cleaned, Rule, clean_lines, load_rules
from toolkit.ingest.pipeline import IngestResult, ingest
from toolkit.ingest.readers import RawArticle, read_input

__all__ = [
    "Cleaned",
    "IngestResult",
    "RawArticle",
    "Rule",
    "clean_lines",
    "ingest",
    "load_rules",
    "read_articles",
    "read_input",
    "write_articles",
]
