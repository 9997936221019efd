"""Character spans to BIO tags and back (conlleval semantics), and BIO repair (IOB1 to IOB2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from toolkit.records import Span

__all__ = ["spans_to_bio", "repair_bio", "bio_to_spans"]


def spans_to_bio(tokens: Sequence[tuple[str, int, int]], spans: Iterable[Span]) -> list[str]:
    """BIO tags for `tokens` from character spans; a token belongs to a span when it lies inside it."""
    tags = ["O"] * len(tokens)
    for span in sorted(spans):
        inside = [i for i, (_, start, end) in enumerate(tokens) if start >= span.start and end <= span.end]
        if not inside or any(tags[i] != "O" for i in inside):
            continue
        tags[inside[0]] = f"B-{span.label}"
        for i in inside[1:]:
            tags[i] = f"I-{span.label}"
    return tags


def repair_bio(tags: Sequence[str]) -> list[str]:
    """Make a tag sequence valid BIO: an I- that does not continue a span of its type becomes B- (IOB1 → IOB2)."""
    repaired = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        repaired.append(tag)
        previous = tag
    return repaired


def bio_to_spans(tokens: Sequence[tuple[str, int, int]], tags: Sequence[str]) -> list[Span]:
    """Character spans from BIO tags (conlleval semantics: an I- after a different type starts a new span)."""
    spans = []
    current: list | None = None
    for (_, start, end), tag in zip(tokens, repair_bio(tags), strict=True):
        if tag.startswith("B-"):
            if current:
                spans.append(Span(*current))
            current = [start, end, tag[2:]]
        elif tag.startswith("I-") and current:
            current[1] = end
        else:
            if current:
                spans.append(Span(*current))
            current = None
    if current:
        spans.append(Span(*current))
    return spans
