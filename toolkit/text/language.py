"""Telling French from English news without a model: stopwords, elisions and accents."""

from __future__ import annotations

import re

from toolkit.errors import ToolkitError

__all__ = ["LANGUAGES", "detect_language", "check_language"]

from toolkit.project import LANGUAGES  # noqa: E402 - re-exported: the languages detect_language tells apart

# Frequent words of one language that are not words of the other: "a", "on", "or", "but", "par", "plus",
# "pour", "son", "dollars" and the like are left out because both languages use them.
_FRENCH = frozenset(
    """
    le la les des du une et est sont dans sur avec pas qui que ce cette ces il elle ils elles nous vous au aux
    mais ou où leur leurs selon été être avoir ont était sa ses ne se lui entre après avant depuis aussi très
    comme sans sous vers chez déjà encore fait faire peut doit mois année ans milliards
    """.split()
)
_ENGLISH = frozenset(
    """
    the of and to in is are was were for with that this these those by from at it its be been has have had will
    would not which who their they he she said says than about after into over also more could should there what
    when while year years billion shares company
    """.split()
)
# Elided French articles and pronouns (l'État, d'OpenAI, qu'il) and English contractions (company's, don't).
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ELISION = re.compile(r"(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu)'")
_CONTRACTION = re.compile(r"'(?:s|t|re|ve|ll|d|m)$")
_ACCENTS = re.compile("[éèêëàâîïôûùüçœ]")
# An accented letter is weaker evidence than a function word: English news quotes "Nestlé" and "café".
_ACCENT_WEIGHT = 0.5


def detect_language(text: str) -> str:
    """'fr' or 'en', whichever has more evidence in `text`; 'en' when there is none either way."""
    lowered = text.casefold().replace("’", "'")
    french = _ACCENT_WEIGHT * len(_ACCENTS.findall(lowered))
    english = 0.0
    for word in _WORD.findall(lowered):
        if _ELISION.match(word):
            french += 1
            word = word.split("'", 1)[1]
        elif _CONTRACTION.search(word):
            english += 1
            continue
        if word in _FRENCH:
            french += 1
        elif word in _ENGLISH:
            english += 1
    return "fr" if french > english else "en"


def check_language(lang: str, place: str) -> str:
    """`lang` as one of LANGUAGES ("FR", "fr-FR" and "fr_CA" are French); a ToolkitError naming `place` if not."""
    primary = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    if primary not in LANGUAGES:
        raise ToolkitError(f"{place}: unsupported language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return primary
