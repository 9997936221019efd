"""The annotator guidelines (Markdown) as the HTML Label Studio shows in its Instructions modal.

Measured on Label Studio 1.23.2 in a browser: the editor's stylesheet resets lists (`list-style: none`, no
padding), heading sizes and margins, so plain Markdown HTML shows steps without their numbers and bullets. The HTML
therefore sits in one `<div class="toolkit-guidelines">` with a `<style>` block scoped to that class: the server
keeps both (`<style>` and `class` are on its allow-list; a `style=` attribute is not).

Raw HTML in the Markdown is never passed through: a `<script>` in a guidelines file reaches the annotators as
text. The server would not stop it: its allow-list keeps `<script>`, `<iframe>` and `<form>`.
"""

from __future__ import annotations

__all__ = ["GUIDELINES_CLASS", "render_guidelines"]

GUIDELINES_CLASS = "toolkit-guidelines"

# No `>`, `&` or quotes: the server's HTML sanitiser must keep the block byte for byte, or every
# `toolkit labelstudio init` would see changed instructions. Colours are translucent greys for both UI themes.
_RULES = (
    ("h1", "font-size: 1.5em; font-weight: 600; line-height: 1.3; margin: 0.8em 0 0.4em"),
    ("h2", "font-size: 1.3em; font-weight: 600; line-height: 1.3; margin: 1em 0 0.4em"),
    ("h3, h4", "font-size: 1.1em; font-weight: 600; line-height: 1.3; margin: 0.8em 0 0.3em"),
    ("p", "margin: 0.5em 0"),
    ("ol", "list-style: decimal; padding-left: 2em; margin: 0.5em 0"),
    ("ul", "list-style: disc; padding-left: 2em; margin: 0.5em 0"),
    ("ul ul, ol ul", "list-style: circle"),
    ("li", "margin: 0.25em 0"),
    ("table", "border-collapse: collapse; margin: 0.5em 0"),
    ("th, td", "border: 1px solid rgba(127, 127, 127, 0.5); padding: 2px 8px; text-align: left"),
    (
        "code",
        "font-family: monospace; background: rgba(127, 127, 127, 0.15); padding: 0 3px; border-radius: 3px",
    ),
    (
        "pre",
        "white-space: pre-wrap; background: rgba(127, 127, 127, 0.15); padding: 0.5em; border-radius: 4px",
    ),
    ("pre code", "background: none; padding: 0"),
)
_CSS = "".join(
    f"\n{', '.join(f'.{GUIDELINES_CLASS} {part}' for part in selectors.split(', '))} {{{rules}}}"
    for selectors, rules in _RULES
)


def _markdown():
    from markdown_it import MarkdownIt

    # html=False: raw HTML blocks and inline tags are escaped, not rendered. xhtmlOut=False: `<hr>`, `<br>`, as
    # the server's sanitiser writes them back.
    return MarkdownIt("commonmark", {"html": False, "xhtmlOut": False}).enable("table")


def render_guidelines(markdown: str) -> str:
    """Markdown → the HTML for Label Studio's `expert_instruction`, with its lists, tables and code visible."""
    md = _markdown()
    tokens = md.parse(markdown)
    for index, token in enumerate(tokens):
        # The server strips `<ol start=N>` (not on its allow-list) but keeps `<li value=N>`: a list that starts
        # at 3 still shows 3.
        start = token.attrGet("start") if token.type == "ordered_list_open" else None
        if start is None:
            continue
        del token.attrs["start"]
        first_item = next(t for t in tokens[index + 1 :] if t.type == "list_item_open")
        first_item.attrSet("value", str(start))
    body = md.renderer.render(tokens, md.options, {})
    return f'<div class="{GUIDELINES_CLASS}">\n<style>{_CSS}\n</style>\n{body}</div>\n'
