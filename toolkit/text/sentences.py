"""Rule-based sentence splitting for French and English news, with code-point offsets into the text."""

from __future__ import annotations

import re
import reprlib
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


def _quoted(line: str) -> list[tuple[int, int]]:
    """(opener, closer) positions of the matched quote and bracket pairs in `line`; unmatched ones are ignored."""
    pairs = []
    stacks: dict[str, list[int]] = {opener: [] for opener in _PAIRS}
    closers = {closer: opener for opener, closer in _PAIRS.items()}
    for index, char in enumerate(line):
        if char in stacks:
            stacks[char].append(index)
        elif char in closers and stacks[closers[char]]:
            pairs.append((stacks[closers[char]].pop(), index))
    straight = [index for index, char in enumerate(line) if char == '"']
    if len(straight) % 2 == 0:
        pairs += list(zip(straight[::2], straight[1::2], strict=True))
    return pairs


def _abbreviation(line: str, stop: int, lang: str) -> bool:
    """Whether the word before the full stop at `stop` is an abbreviation, an initial or a dotted acronym."""
    word = line[:stop].rsplit(None, 1)[-1] if line[:stop].strip() else ""
    word = word.lstrip(_STARTERS + "'")
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
        if any(opener < end - 1 < closer for opener, closer in quoted):
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
                first = start + piece.index(stripped)
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
