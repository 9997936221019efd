"""Rule-based pre-annotations for the first batches, before any model is trained (`toolkit export --rules`).

Entities: MONEY, PERCENT and DATE by regular expressions for French and English news (PER, ORG and LOC need a
model). Claims: each sentence gets the status of the first cue category of `STATUS_OF_CUE` found in it, using
the article language's phrases in toolkit/data/cues.toml (the claim classifier's lexicon). The order is
forecast, hedge, opinion, attribution: the guidelines let the content decide over who said it (a hedge wins
over an attribution), and the opinion lexicon is the broadest. A sentence with no cue but a number is proposed
as FACT. Annotators correct these suggestions; scores are fixed and low on purpose, so Label Studio's "sort by
prediction score" is not misleading.

Cues: every cue phrase found in a sentence that gets a claim is a region of its own in the schema's `cues` group
(HEDGE, ATTRIBUTION, FORECAST_CUE, OPINION_CUE), so an annotator sees why the status was proposed. The model
pre-annotations (toolkit.predict) use `cue_spans` the same way. The dataset build never reads that group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.models.cues import cue_alternatives, read_lexicon
from toolkit.records import ArticlePrediction, PredictedSpan

__all__ = [
    "RuleTagger",
    "entity_spans",
    "claim_spans",
    "cue_spans",
    "predict_rules",
    "load_cues",
    "CUE_GROUP",
]

DATA = Path(__file__).resolve().parent.parent / "data"
CUE_FILE = DATA / "cues.toml"
# Cue category of cues.toml → claim status, in order of precedence.
STATUS_OF_CUE = {
    "opinion": "OPINION",
    "forecast": "FORECAST",
    "hedge": "SPECULATIVE",
    "attribution": "REPORTED",
}
FACT = "FACT"
# The schema's group of explanation regions, and its label for the cues of each claim status.
CUE_GROUP = "cues"
CUE_LABEL = {
    "OPINION": "OPINION_CUE",
    "FORECAST": "FORECAST_CUE",
    "SPECULATIVE": "HEDGE",
    "REPORTED": "ATTRIBUTION",
}
ENTITY_SCORE = 0.8
CUE_SCORE = 0.6
FACT_SCORE = 0.3

_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)*"
_SCALE = r"(?:bn|billion|million|mn|trillion|tn|thousand|milliards?|millions?|mille|mds?|Mds?|Md|M|m|k)"
_SYMBOL = r"(?:US\$|A\$|C\$|HK\$|[$€£¥])"
_CURRENCY = (
    r"(?:dollars?|euros?|pounds?(?: sterling)?|yens?|yuans?|francs?(?: suisses)?|livres?(?: sterling)?"
    r"|roubles?|rubles?|cents?|centimes?|USD|EUR|GBP|JPY|CHF|CNY)(?: CFA)?"
)


def _words(*words: str) -> str:
    """An alternation of `words`, each also with a capital, as a trie of plain letters ("d(?:eux|ix)"): the regex
    engine rejects a branch that starts with a plain letter in one comparison, so a word that is none of them
    costs a comparison per first letter (a case-insensitive group is tried in full at every word, and made the
    rule scan 60 % slower)."""
    forms = {form for word in words for form in (word, word[:1].upper() + word[1:])}
    return _trie(sorted(forms))


def _trie(forms: list[str]) -> str:
    if forms == [""]:
        return ""
    by_first: dict[str, list[str]] = {}
    for form in forms:
        by_first.setdefault(form[:1], []).append(form[1:])
    branches = [re.escape(first) + _trie(rests) for first, rests in by_first.items() if first]
    optional = "" in by_first
    group = "(?:" + "|".join(branches) + ")"
    return group + "?" if optional else group


# Amounts in words ("un milliard de dollars", "six milliards d'euros", "a billion dollars", "billions of dollars"):
# a fifth of the shipped corpus's MONEY spans had no digit for the rule to start from.
_WORD_NUMBER = _words(
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
    "quinze", "vingt", "trente", "cinquante", "cent", "quelques", "plusieurs", "des", "une dizaine de",
    "une centaine de", "dizaines de", "centaines de", "one", "two", "three", "four", "five", "seven", "eight",
    "nine", "ten", "twelve", "fifteen", "twenty", "fifty", "a hundred", "a", "several", "a few", "hundreds of",
    "tens of",
)  # fmt: skip
_SCALE_WORD = _words(
    "billions", "billion", "millions", "million", "trillions", "trillion", "milliards", "milliard", "mille"
)
_START, _END = r"(?<![\w.,])", r"(?!\w)"
MONEY = re.compile(
    rf"{_START}(?:{_SYMBOL}\s?(?:{_NUMBER})(?:\s?{_SCALE})?"
    rf"|(?:{_NUMBER})\s?(?:{_SCALE}\s?)?(?:(?:de |d\s?['’])\s?)?(?:{_CURRENCY}|{_SYMBOL})"
    rf"|(?:{_WORD_NUMBER}\s+)?{_SCALE_WORD}\s+(?:(?:of|de|d\s?['’])\s?)?{_CURRENCY}"
    rf"|{_words('zéro', 'zero')}\s+{_CURRENCY}){_END}"
)
PERCENT = re.compile(
    rf"{_START}(?:{_NUMBER})\s?(?:%|per ?cent|percent|pour ?cent"
    r"|basis points|bps|points de base|percentage points?|points? de pourcentage)(?!\w)"
)
_MONTHS_EN = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_MONTHS_FR = r"(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)"
_YEAR = r"(?:19|20)\d{2}"
_DAYS_FR = _words("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_PERIODS_FR = r"(?:matin|soir|après-midi|week-end|nuit|mois(?:-ci| ci)?|semaine|année|trimestre)"
_DAY_MONTH_FR = rf"(?:\d{{1,2}}|1 ?er) {_MONTHS_FR}"
DATE_PATTERNS = {
    "en": re.compile(
        rf"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
        rf"|\b(?:\d{{1,2}} )?{_MONTHS_EN}(?: \d{{1,2}}(?:st|nd|rd|th)?)?(?:,? {_YEAR})?(?!\w)"
        rf"|\bQ[1-4] ?{_YEAR}\b|\b(?:H[12]|FY) ?{_YEAR}\b"
        rf"|\b(?:the )?(?:first|second|third|fourth) quarter(?: of {_YEAR})?\b"
        rf"|\b(?:last|next|this) (?:year|month|week|quarter)\b|\bby the end of the year\b"
        rf"|\b(?:yesterday|today|tomorrow)\b|(?<![\w$€£.,]){_YEAR}(?![\w%])"
    ),
    # Guidelines 6.9: a demonstrative stays in ("ce samedi 13 mai", "cette année"), relative days are dates ("hier",
    # "ce matin"), "dernier"/"prochain" belong to the date; text may come tokenised ("l' an", "1 er").
    "fr": re.compile(
        rf"\b{_words('ce', 'cet', 'cette')} (?:{_DAYS_FR}|{_PERIODS_FR})(?: {_DAY_MONTH_FR})?(?: {_YEAR})?\b"
        rf"|\b{_DAYS_FR}(?: {_DAY_MONTH_FR}(?: {_YEAR})?)?(?: dernier| prochain)?\b"
        rf"|\b{_DAY_MONTH_FR}(?: {_YEAR})?(?: dernier)?\b"
        rf"|\b{_words('fin ', 'début ', 'mi-', 'le mois de ', 'mois de ')}?{_MONTHS_FR}(?: {_YEAR})?(?: dernier| prochain)?\b"
        rf"|\b{_words('fin', 'début', 'mi-')} ?{_YEAR}\b"
        rf"|\bT[1-4] ?{_YEAR}\b|\b(?:premier|deuxième|second|troisième|quatrième) (?:trimestre|semestre)(?: {_YEAR})?\b"
        rf"|\b{_words('l')} ?['’] ?(?:an|année) (?:dernier|dernière|prochain|prochaine)\b"
        rf"|\b{_words('le mois')} (?:dernier|prochain)\b|\b{_words('la semaine')} (?:dernière|prochaine)\b"
        rf"|\bd ?['’] ?ici (?:la fin de l ?['’] ?année|{_YEAR})\b"
        rf"|\b(?:{_words('hier', 'demain')}|{_words('aujourd')} ?['’] ?hui)\b"
        rf"|(?<![\w$€£.,]){_YEAR}(?![\w%])"
    ),
}
# One scan per text: at a given position money wins over percent over date, and a match consumes its text.
# (Every date starts a word: the leading \b lets the scan skip most positions at once, ~30% faster.)
ENTITY_PATTERNS = {
    lang: re.compile(rf"(?P<MONEY>{MONEY.pattern})|(?P<PERCENT>{PERCENT.pattern})|\b(?P<DATE>{date.pattern})")
    for lang, date in DATE_PATTERNS.items()
}


@dataclass(frozen=True)
class Cues:
    """Per language, one pattern with a named group per status, in order of precedence (one scan per text)."""

    order: tuple[str, ...]
    patterns: dict[str, re.Pattern[str]]
    source: Path


@lru_cache(maxsize=4)
def load_cues(path: Path = CUE_FILE) -> Cues:
    """Cue phrases of cues.toml ([category] tables with `en` and `fr` lists), compiled per language."""
    phrases: dict[str, dict[str, list[str]]] = {}  # lang -> status -> phrases; "*" holds every language
    for category, by_language in read_lexicon(path).items():
        status = STATUS_OF_CUE.get(category)
        for lang, values in by_language.items():
            if status is not None:
                for key in (lang, "*"):
                    phrases.setdefault(key, {}).setdefault(status, []).extend(values)
    if not phrases:
        raise ToolkitError(f"{path}: no cue phrases for any of the categories {', '.join(STATUS_OF_CUE)}")
    order = tuple(STATUS_OF_CUE.values())
    patterns = {
        lang: re.compile(
            r"(?<!\w)(?:"
            + "|".join(
                f"(?P<{status}>{cue_alternatives(by_status[status])})"
                for status in order
                if status in by_status
            )
            + r")(?!\w)"
        )
        for lang, by_status in phrases.items()
    }
    return Cues(order=order, patterns=patterns, source=path)


def entity_spans(text: str, lang: str) -> list[PredictedSpan]:
    """MONEY, PERCENT and DATE spans, left to right; where two could start at one place, money, then percent."""
    pattern = ENTITY_PATTERNS.get(lang, ENTITY_PATTERNS["en"])
    return [
        PredictedSpan("entities", match.lastgroup, match.start(), match.end(), match.group(), ENTITY_SCORE)
        for match in pattern.finditer(text)
        if match.end() > match.start()
    ]


def claim_spans(
    text: str, lang: str, sentences: Sequence[tuple[int, int]], cues: Cues
) -> list[PredictedSpan]:
    """One claim per sentence that has a cue (or a number, then FACT), spanning the sentence without outer spaces.

    A sentence takes the status of precedence among the cues found in it, whichever comes first in the text."""
    pattern = cues.patterns.get(lang, cues.patterns.get("*"))
    rank = {status: index for index, status in enumerate(cues.order)}
    # The phrases are lower case: matching the lowered text is 4x faster than re.IGNORECASE, and equivalent
    # as long as lowering keeps every offset (it does except for a few letters such as the Turkish İ).
    lowered = text.lower()
    if pattern is not None and len(lowered) != len(text):
        pattern, lowered = re.compile(pattern.pattern, re.IGNORECASE), text
    found = [(match.start(), rank[match.lastgroup]) for match in pattern.finditer(lowered)] if pattern else []
    spans = []
    for start, end in sentences or [(0, len(text))]:
        sentence = text[start:end]
        stripped = sentence.strip()
        if not stripped:
            continue
        ranks = [value for position, value in found if start <= position < end]
        start += len(sentence) - len(sentence.lstrip())
        end = start + len(stripped)
        if ranks:
            spans.append(PredictedSpan("claims", cues.order[min(ranks)], start, end, stripped, CUE_SCORE))
        elif any(char.isdigit() for char in stripped):
            spans.append(PredictedSpan("claims", FACT, start, end, stripped, FACT_SCORE))
    return spans


def cue_spans(
    text: str, lang: str, sentences: Sequence[tuple[int, int]], cues: Cues, score: float = CUE_SCORE
) -> list[PredictedSpan]:
    """A `cues` region for every cue phrase found inside `sentences` (the sentences a claim was proposed for)."""
    pattern = cues.patterns.get(lang, cues.patterns.get("*"))
    if pattern is None or not sentences:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):
        pattern, lowered = re.compile(pattern.pattern, re.IGNORECASE), text
    spans = []
    for match in pattern.finditer(lowered):
        if any(start <= match.start() and match.end() <= end for start, end in sentences):
            label = CUE_LABEL[match.lastgroup]
            spans.append(
                PredictedSpan(
                    CUE_GROUP, label, match.start(), match.end(), text[match.start() : match.end()], score
                )
            )
    return spans


class RuleTagger:
    """Pre-annotations for articles (anything with id, text, lang and sentences), as ArticlePrediction objects."""

    def __init__(self, version: str = "1", cues: Path = CUE_FILE, explain: bool = True) -> None:
        self.version = version
        self.cues = cues
        self.explain = explain  # add the `cues` regions (a schema without a cues group takes explain=False)

    @property
    def model_version(self) -> str:
        return f"rules-{self.version}"

    def predict(self, articles: Sequence[Any]) -> list[ArticlePrediction]:
        cues = load_cues(self.cues)
        predictions = []
        for article in articles:
            claims = claim_spans(article.text, article.lang, article.sentences, cues)
            spans = entity_spans(article.text, article.lang) + claims
            score = sum(span.score for span in spans) / len(spans) if spans else 0.0  # cue regions left out
            if self.explain:
                explained = [(span.start, span.end) for span in claims if span.label != FACT]
                spans += cue_spans(article.text, article.lang, explained, cues)
            spans.sort(key=lambda span: (span.start, span.end, span.group))
            predictions.append(ArticlePrediction(article.id, spans, self.model_version, score))
        return predictions


def predict_rules(
    articles: Sequence[Any], schema_version: str = "1", explain: bool = True
) -> list[ArticlePrediction]:
    """Rule pre-annotations for `articles`; model_version is `rules-<schema version>`; `explain`: cue regions."""
    return RuleTagger(schema_version, explain=explain).predict(articles)
