"""Rule-based sentence splitting for French and English news, with code-point offsets into the text."""

from __future__ import annotations

import re
import reprlib
from bisect import bisect_right
from collections.abc import Sequence

from toolkit.errors import ToolkitError

__all__ = ["split_sentences"]

# Words that end with a full stop without ending the sentence. Case matters: "Me." is the French title
# Maître, "me." ends an English sentence. Words with inner stops (U.S., e.g., Ph.D.) and single capitals
# (initials, French "M.") are recognised by shape, not listed.
_ABBREVIATIONS_COMMON = frozenset(
    """
    Dr Drs Prof St Ste Inc Corp Co Ltd Cie Jr Sr Mr Mrs Ms Mt No Nos Vol vol etc cf vs v p pp approx
    Fig fig Gen Sen Rep Gov Lt Col Capt Sgt Adm Ave Blvd Rd Dept Bros Plc plc al
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    """.split()
)
_ABBREVIATIONS = {
    "fr": _ABBREVIATIONS_COMMON
    | frozenset(
        """
        Mme Mmes Mlle Mlles MM Me Mgr Pr av bd boul env art chap éd tél Tél hab
        janv févr avr juil sept oct nov déc
        """.split()
    ),
    "en": _ABBREVIATIONS_COMMON | frozenset("ed eds est Messrs Hon Rev Univ".split()),
}
_INITIAL = re.compile(r"[A-ZÀ-ÖØ-ÞŒ]")
# U.S, e.g, i.e, a.m, Ph.D: short letter groups joined by stops (the final stop is the candidate boundary).
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
_PUNCTUATION = re.compile(r"[.!?…]+")
# Characters that may close a sentence after its final punctuation; French puts a space before ».
_CLOSERS = "”\"')]’»"
# What may start the next sentence besides an upper-case letter or a digit.
_STARTERS = '«“"‘([¿¡—–'
# Quote and bracket pairs: punctuation between a matched pair does not end the sentence around it, so a
# quoted passage of several sentences stays inside the one sentence that reports it. ‘ ’ are left out:
# ’ is also the apostrophe (aujourd’hui).
_PAIRS = {"«": "»", "“": "”", "(": ")", "[": "]"}
_OPENERS = {closer: opener for opener, closer in _PAIRS.items()}
_QUOTE_MARKS = re.compile("[" + re.escape("".join(_PAIRS) + "".join(_OPENERS) + '"') + "]")
# Characters read before a full stop to find the word it ends; longer words are read in a doubling window.
_WINDOW = 64


def _quoted(line: str) -> tuple[list[int], list[int]]:
    """Where the matched quote and bracket pairs of `line` hold it: the (firsts, lasts) of the sorted, disjoint
    position ranges strictly between an opener and its closer. Unmatched marks are ignored.

    One pass over the quote marks alone, so a line's cost is its length whatever the number of pairs.
    """
    pairs = []
    stacks: dict[str, list[int]] = {opener: [] for opener in _PAIRS}
    straight = []
    for match in _QUOTE_MARKS.finditer(line):
        char, index = match.group(), match.start()
        if char == '"':
            straight.append(index)
        elif char in stacks:
            stacks[char].append(index)
        elif stacks[_OPENERS[char]]:
            pairs.append((stacks[_OPENERS[char]].pop(), index))
    if len(straight) % 2 == 0:
        pairs += zip(straight[::2], straight[1::2], strict=True)
    firsts: list[int] = []
    lasts: list[int] = []
    for opener, closer in sorted(pairs):
        if closer - opener < 2:
            continue
        if lasts and opener + 1 <= lasts[-1] + 1:
            lasts[-1] = max(lasts[-1], closer - 1)
        else:
            firsts.append(opener + 1)
            lasts.append(closer - 1)
    return firsts, lasts


def _inside(position: int, quoted: tuple[list[int], list[int]]) -> bool:
    firsts, lasts = quoted
    index = bisect_right(firsts, position) - 1
    return index >= 0 and position <= lasts[index]


def _word_before(line: str, stop: int) -> str:
    """The last whitespace-separated word of `line[:stop]`, '' if there is none.

    Read from a window before `stop` that doubles until the word is whole: the cost is the word's length, not
    the length of the line before it.
    """
    size = _WINDOW
    while True:
        low = max(0, stop - size)
        window = line[low:stop]
        parts = window.rsplit(None, 1)
        if low == 0 or len(parts) == 2 or (parts and (window[0].isspace() or line[low - 1].isspace())):
            return parts[-1] if parts else ""
        size *= 2


def _abbreviation(line: str, stop: int, lang: str) -> bool:
    """Whether the word before the full stop at `stop` is an abbreviation, an initial or a dotted acronym."""
    word = _word_before(line, stop).lstrip(_STARTERS + "'")
    if not word:
        return False
    known = _ABBREVIATIONS.get(lang, _ABBREVIATIONS_COMMON)
    return word in known or bool(_INITIAL.fullmatch(word)) or bool(_DOTTED.fullmatch(word))


def _boundaries(line: str, lang: str) -> list[int]:
    """Positions in `line` where a sentence ends (exclusive), excluding the end of the line."""
    quoted = _quoted(line)
    ends = []
    for match in _PUNCTUATION.finditer(line):
        start, end = match.span()
        # "(...)" and "[…]" mark a cut in a quotation, not the end of a sentence.
        if start > 0 and line[start - 1] in "([":
            continue
        while end < len(line):
            if line[end] in _CLOSERS:
                end += 1
            elif line.startswith(" »", end):
                end += 2
            else:
                break
        gap = end
        while gap < len(line) and line[gap].isspace():
            gap += 1
        # No space after the stop: a decimal (1.5), a URL, a dotted acronym in the making.
        if gap == end or gap == len(line):
            continue
        following = line[gap]
        if not (following.isupper() or following.isdigit() or following in _STARTERS):
            continue
        if _inside(end - 1, quoted):
            continue
        if match.group() == "." and _abbreviation(line, start, lang):
            continue
        ends.append(end)
    return ends


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Sentences of `text` as (start, end) code-point offsets; `text[start:end]` has no surrounding whitespace.

    Every line break ends a sentence. Inside a line a sentence ends at . ! ? or an ellipsis (with any closing
    quotes) followed by a space and an upper-case letter, a digit or an opening quote, except after an
    abbreviation (M., Mme, Dr., Inc., U.S., e.g., etc.), an initial, or inside a quotation. `lang` ('fr' or
    'en') picks the abbreviations; another value uses those the two share.
    """
    sentences = []
    offset = 0
    for line in text.split("\n"):
        cuts = [0, *_boundaries(line, lang), len(line)]
        for start, end in zip(cuts, cuts[1:], strict=False):
            piece = line[start:end]
            stripped = piece.strip()
            if stripped:
                first = start + len(piece) - len(piece.lstrip())
                sentences.append((offset + first, offset + first + len(stripped)))
        offset += len(line) + 1
    return sentences


def sentence_offsets(
    text: str, lang: str | None, known: Sequence[Sequence[int]] | None = None
) -> list[tuple[int, int]]:
    """The sentences an article or task already carries (ingest wrote them), else `split_sentences`.

    Carried sentences are checked, since they come from files people edit: each an [start, end] pair of
    integers with 0 <= start < end <= len(text), in order, none overlapping the one before. A bad one is a
    ToolkitError naming it (the caller adds the file and the field)."""
    if known is None or (isinstance(known, list | tuple) and not known):
        return split_sentences(text, lang or "en")
    if not isinstance(known, list | tuple):
        raise ToolkitError(f"must be a list of [start, end] pairs, got {type(known).__name__}")
    offsets: list[tuple[int, int]] = []
    for index, pair in enumerate(known):
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(type(v) is int for v in pair):
            raise ToolkitError(
                f"sentence {index} is {reprlib.repr(pair)}, expected [start, end] (two integers)"
            )
        start, end = pair
        if not 0 <= start < end <= len(text):
            raise ToolkitError(
                f"sentence {index} is [{start}, {end}], outside a text of {len(text)} characters"
                " or reversed (need 0 <= start < end <= length)"
            )
        if offsets and start < offsets[-1][1]:
            raise ToolkitError(
                f"sentence {index} is [{start}, {end}] but the one before ends at {offsets[-1][1]}:"
                " sentences must be in order, without overlaps or repeats"
            )
        offsets.append((start, end))
    return offsets
