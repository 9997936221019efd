"""Sentence-structure features for the claim classifier, found by patterns (no parser): French and English merged.

Why: n-grams learn words, and words do not cross languages; the shape of a sentence does. Reported speech (a verb
of saying with its complement, "selon"/"according to", a quotation followed by its attribution), the French
conditional and the English "would", the future, modals, negation, a condition, a question, a dateline or a bare
fragment mean the same in both languages, so each feature below is one category for both: a weight learned on
English sentences applies to French ones. spaCy's parsers cannot be downloaded here, so these are regular
expressions; they miss and over-match at the edges (a noun in -rait, a "that" that is a determiner) and only have
to be right often enough to help a linear model.

Every feature is a (name, pattern) pair of plain strings: the classifier copies them into the fitted model, so a
saved model needs no function of this module (skops persists it with only the classifier trusted).
`clause_split` gives the offset where a relative or complement clause begins, so that a cue inside "qui
pourrait..." / "that may..." can be counted apart from one in the main clause.
"""

from __future__ import annotations

import re

__all__ = ["STRUCTURE_PATTERNS", "CLAUSE_MARKER", "FIRST_PATTERNS", "structure_names", "clause_split"]

_SAY_EN = (
    r"said|says|say|told|tells|stated|states|announced|reported|added|claimed|confirmed|explained|noted|"
    r"warned|insisted|argued|denied|revealed|disclosed|commented|wrote|declared|asked|replied|acknowledged|"
    r"admitted|believes|believed|thinks|thought"
)
_SAY_FR = (
    r"déclar\w*|affirm\w*|indiqu\w*|annonc\w*|précis\w*|expliqu\w*|estim\w*|assur\w*|soulign\w*|confirm\w*|"
    r"ajout\w*|rappel\w*|reconn\w*|dit|dis|disent|écrit|écrivent|démenti\w*|dément\w*|révél\w*|raconté?\w*|"
    r"ironis\w*|insist\w*|déplor\w*|dénonc\w*|regrett\w*|pens\w*|jug\w*|répond\w*|admis|avou\w*"
)
_AUX_FR = r"(?:a|ont|avait|avaient|aurait|auraient|avoir)"
_MONTHS = (
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE = rf"(?:\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}|(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}})"
_NOT_CONDITIONAL = r"(?!(?:ex|re|por|at|abs|dis|sous|soustr)?trait\b|(?:ex|re|por|at|abs|dis|sous)?traits\b)"

# (name, case-insensitive pattern). Order is the feature order of a fitted model: append, never reorder.
STRUCTURE_PATTERNS: list[tuple[str, str]] = [
    # Reported speech: a verb of saying with a complement clause, "selon", quotations and their attribution.
    (
        "speech_that",
        rf"(?i)\b(?:(?:{_SAY_EN})\s+(?:\w+\s+){{0,2}}?that\b|{_AUX_FR}\s+(?:\w+\s+)?(?:{_SAY_FR})\s+qu(?:e\b|['’]))",
    ),
    ("speech_verb", rf"(?i)\b(?:{_SAY_EN})\b|\b{_AUX_FR}\s+(?:\w+\s+)?(?:{_SAY_FR})\b"),
    ("according_to", r"(?i)\b(?:according\s+to|selon|d['’]après|cited\s+by|quoted\s+by|citing)\b"),
    ("quote", r"[«“”\"]"),
    ("quote_opens_sentence", r"^\s*[-–—]?\s*[«“\"]"),
    (
        "quote_then_attribution",
        rf"(?i)[»”\"]\s*[,.]?\s*(?:\w+-t-(?:il|elle|ils|elles|on)\b|(?:{_SAY_FR})-(?:il|elle|ils|elles)\b|"
        rf"{_AUX_FR}\s+(?:\w+\s+)?(?:{_SAY_FR})\b|(?:{_SAY_FR})\b|(?:{_SAY_EN})\b|\w+\s+(?:{_SAY_EN})\b)",
    ),
    ("speech_inversion", rf"(?i)\b\w+-t-(?:il|elle|on)\b|\b(?:{_SAY_FR})-(?:il|elle|ils|elles)\b"),
    # Mood and tense: the French conditional and "would"; the future; modals of possibility and of necessity.
    ("conditional", rf"(?i)\b{_NOT_CONDITIONAL}\w{{2,}}r(?:ait|aient|ais)\b|\bwould\b|\w['’]d\b"),
    (
        "rumour_conditional",
        r"(?i)\b(?:aurait|auraient|serait|seraient)\s+(?:\w+\s+)?\w+(?:é|ée|és|ées|i|is|u|us|t)\b",
    ),
    (
        "future",
        r"(?i)\b(?:will|shall|won['’]t|\w+['’]ll)\b|\b(?:going\s+to|is\s+set\s+to|are\s+set\s+to)\b"
        r"|\b\w{3,}(?:era|ira|dra|ura|ront|rons|rez)\b"
        r"|\b(?:sera|seront|aura|auront|fera|feront|ira|iront|pourra|pourront|devra|devront|viendra|viendront)\b"
        r"|\b(?:va|vont|vais|allons|allez)\s+(?:\w+\s+)?\w+(?:er|ir|re|oir)\b",
    ),
    ("modal_possibility", r"(?i)\b(?:may|might|could|can|cannot|peut|peuvent|pourrait|pourraient|pouvait)\b"),
    (
        "modal_necessity",
        r"(?i)\b(?:should|must|ought|doit|doivent|devrait|devraient|devait|faut|faudrait|faudra)\b",
    ),
    # Negation, condition, a question.
    (
        "negation",
        r"(?i)\b(?:ne|n['’])\s*(?:[\w'’-]+\s+){0,3}?(?:pas|plus|jamais|rien|aucun\w*|guère|point|personne)\b"
        r"|\b(?:not|never|no\s+longer|nothing|nobody|none|neither|nor|cannot)\b|n['’]t\b",
    ),
    (
        "condition",
        r"(?i)\b(?:if|unless|whether|provided\s+that|si|s['’]il|s['’]ils|sous\s+réserve|à\s+condition)\b",
    ),
    ("question", r"\?"),
    ("question_end", r"\?\s*[»”\"]?\s*$"),
    # Tense of a settled statement: the French passé composé / plus-que-parfait and the English past.
    (
        "past",
        r"(?i)\b(?:a|ont|avait|avaient|est|sont|était|étaient|has|have|had)\s+(?:\w+\s+)?\w+(?:é|ée|és|ées|i|is|u|us|it)\b"
        r"|\b\w{3,}ed\b",
    ),
    ("first_person", r"(?i)\b(?:je|j['’]|nous|i|we|my|our|me|us)\b"),
    # Sentence role: a dateline, punctuation only, a line without a sentence end, a number.
    ("dateline", rf"(?i)^\s*{_DATE}"),
    ("dateline_only", rf"(?i)^\s*{_DATE}\W*(?:\d{{1,2}}\s*[h:]\s*\d{{2}})?\W*$"),
    ("punctuation_only", r"^\W*$"),
    ("no_final_stop", r"[^.!?»”\"…)\s]\s*$"),
    ("number", r"\d+(?:[.,]\d+)*"),
    # What the guidelines tell apart with the same verbs (appended after the ablation of bench/claims_sources.py):
    # intent + infinitive is a plan not yet decided ("prévoit d'investir", "plans to buy": SPECULATIVE) while a
    # verb of prediction with a clause or an amount is a forecast ("prévoit que", "predicts", "s'attend à une").
    (
        "intent_infinitive",
        r"(?i)\b(?:prévoi\w*|envisag\w*|compt\w*|entend\w*|souhait\w*|veu\w*|voudrai\w*|projett\w*|"
        r"cherch\w*|tent\w*|s['’]appr[eê]t\w*)\s+(?:d['’]|de\s+|à\s+)?(?:\w+\s+)?\w+(?:er|ir|re)\b"
        r"|\b(?:plan|plans|planned|planning|intend\w*|aim\w*|seek\w*|sought|hop\w*|want\w*|look\w*|"
        r"consider\w*|weigh\w*|explor\w*|prepar\w*)\s+(?:to\s+\w+|\w+ing)\b",
    ),
    (
        "prediction_verb",
        r"(?i)\b(?:prédi\w*|prévoi\w*\s+(?:que|qu['’]|une?|des|le|la|les)\b|s['’]attend\w*|tabl\w*\s+sur|"
        r"anticip\w*|devrai\w*|predict\w*|forecast\w*|expect\w*|project\w*\s+(?:that|a|an|the)\b|"
        r"(?:is|are)\s+(?:expected|forecast|projected|seen|likely)\s+to)\b",
    ),
    # An outcome hedged by a negated modal: "peuvent ne pas aboutir", "may not happen", "pourrait ne jamais".
    (
        "negated_modal",
        r"(?i)\b(?:peu[tv]\w*|pourr\w*|risqu\w*)\s+(?:de\s+)?(?:ne|n['’])\s*(?:pas|jamais|plus)\b"
        r"|\b(?:may|might|could)\s+(?:not|never)\b",
    ),
    # A source that is not named: the rumour reading of reported speech (guidelines 6.5).
    (
        "unnamed_source",
        r"(?i)\b(?:sources?\s+(?:proches?|participant|informées?|au\s+fait|familiar|close|briefed)|"
        r"selon\s+(?:des|plusieurs|un|une|nos)\s+(?:sources?|rapports?|médias?|informations?|presse)|"
        r"(?:people|persons?|sources?)\s+(?:familiar|close|briefed|with\s+knowledge)|"
        r"according\s+to\s+(?:a|one|two|several|people|sources?|reports?)|(?:un|a)\s+(?:rapport|report)\b|"
        r"anonymity|anonymat)",
    ),
]

# The patterns before the four above: what bench/claims_sources.py's rows before them were measured with.
FIRST_PATTERNS = 23

# A relative or complement clause begins at the first of these (after the first word): qui/que/dont/which/that/who.
CLAUSE_MARKER = r"(?i)(?<=\S)\s+(?:qui|que|qu['’]|dont|lequel|laquelle|lesquels|which|that|who|whom|whose)\b"


def structure_names() -> list[str]:
    """Feature names in model order: the patterns, then the length features (`log_words`, `short_fragment`)."""
    return [name for name, _ in STRUCTURE_PATTERNS] + ["log_words", "short_fragment"]


def clause_split(marker: re.Pattern[str], text: str) -> int:
    """Offset where the first relative/complement clause begins, len(text) when there is none."""
    found = marker.search(text)
    return found.start() if found else len(text)
