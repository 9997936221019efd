"""Turn raw news articles into clean, deduplicated, sentence-split records (`toolkit ingest`).

Inputs are .txt (one article per file), .jsonl and .csv (one article per line or row, a `text` field and
optional `id`, `title`, `lang`), directories of those, and Hugging Face datasets saved with `save_to_disk`.
The output is JSONL, one `Article` per line; `read_articles` reads it back, checked.
"""

from __future__ import annotations

from toolkit.ingest.articles import KEYS, Article, read_articles, text_hash, write_articles
from toolkit.ingest.language import LANGUAGES, detect_language
from toolkit.ingest.pipeline import IngestResult, ingest
from toolkit.ingest.readers import RawArticle, read_input
from toolkit.ingest.sentences import sentence_offsets, split_sentences
from toolkit.ingest.text import Cleaned, Rule, clean_lines, load_rules, normalize

__all__ = [
    "Article",
    "Cleaned",
    "IngestResult",
    "KEYS",
    "LANGUAGES",
    "RawArticle",
    "Rule",
    "clean_lines",
    "detect_language",
    "ingest",
    "load_rules",
    "normalize",
    "read_articles",
    "read_input",
    "sentence_offsets",
    "split_sentences",
    "text_hash",
    "write_articles",
]
