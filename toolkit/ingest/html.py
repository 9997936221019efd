"""A saved web page's article: main text, title, date and author, extracted with trafilatura (offline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.text.normalize import normalize

__all__ = ["Page", "extract_page"]

# Metadata trafilatura finds that an Article keeps under `meta`, when the page has it.
META_FIELDS = ("date", "author", "sitename", "url")


@dataclass
class Page:
    """What a web page holds for ingest: the article's text (one paragraph per block) and its metadata."""

    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None
    url: str | None = None

    def meta(self) -> dict[str, str]:
        """The metadata that was found, for an Article's `meta`."""
        found = {name: getattr(self, name) for name in META_FIELDS}
        return {name: value for name, value in found.items() if value}


def _block_text(element: Any) -> str:
    from trafilatura.xml import xmltotxt

    return (xmltotxt(element, include_formatting=False) or "").strip()


def _same(left: str, right: str) -> bool:
    return " ".join(normalize(left).casefold().split()) == " ".join(normalize(right).casefold().split())


def _article_blocks(body: Any, title: str | None) -> list[str]:
    """The text of the article's blocks in the extracted tree, without the page's furniture around them.

    Two layout facts, true of news pages whatever the site: what comes before the headline (a site notice, a
    kicker) is not the article, nor is the headline itself (it is the title); and headings and lists after the
    last paragraph are link and reference sections ("Voir aussi", "Sources", "Related news", tags).
    """
    blocks = list(body)
    if title:
        for index, element in enumerate(blocks):
            if element.tag == "head" and _same(_block_text(element), title):
                blocks = blocks[index + 1 :]
                break
    last_paragraph = max((i for i, element in enumerate(blocks) if element.tag == "p"), default=-1)
    kept = blocks[: last_paragraph + 1] + [
        element for element in blocks[last_paragraph + 1 :] if element.tag not in ("head", "list")
    ]
    return [text for text in (_block_text(element) for element in kept) if text]


def extract_page(content: bytes | str) -> Page:
    """The article of one HTML page (bytes are decoded by the page's declared or detected charset).

    A page with no article text found gives a Page with empty text. Nothing is fetched: links, images and
    the page's URL are never followed.
    """
    import trafilatura

    document = trafilatura.bare_extraction(
        content,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
    )
    if document is None or document.body is None:
        return Page(text="")
    title = " ".join(normalize(document.title).split()) if document.title else None
    return Page(
        text="\n\n".join(_article_blocks(document.body, title)),
        title=title or None,
        date=document.date or None,
        author=document.author or None,
        sitename=document.sitename or None,
        url=document.url or None,
    )
