"""The cue lexicon (toolkit/data/cues.toml): hedge, attribution, forecast and opinion phrases in French and English.

The claim classifier counts cues as features and the rule pre-annotator picks a claim status from them; both read
the file through this module, which imports nothing heavy, so `toolkit export --rules` never loads scikit-learn.
Matching: case-insensitive, on word boundaries; a space matches any run of whitespace; ' matches ' and ’; a
trailing * matches any word ending (speculat* = speculate, speculation, speculative...).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["CueFileError", "read_lexicon", "cue_alternatives", "cue_pattern"]

PACKAGED = "toolkit/data/cues.toml"
_NOT_LANGUAGES = ("description",)


class CueFileError(ToolkitError, ValueError):
    """An unusable cue file: one line for the CLI, and a ValueError as scikit-learn expects from `fit`."""


def read_lexicon(path: str | Path | None = None) -> dict[str, dict[str, list[str]]]:
    """category → language → phrases, from a cue TOML file (the packaged one when `path` is None)."""
    if path is None:
        text = resources.files("toolkit").joinpath("data/cues.toml").read_text(encoding="utf-8")
        where = PACKAGED
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CueFileError(f"{path}: cannot read the cue lexicon ({exc.strerror or exc})") from None
        where = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CueFileError(f"{where}: not a valid TOML file ({exc})") from None
    lexicon: dict[str, dict[str, list[str]]] = {}
    for category, section in raw.items():
        if not isinstance(section, dict):
            continue
        for language, values in section.items():
            if language in _NOT_LANGUAGES:
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise CueFileError(f"{where}: [{category}] {language} must be a list of non-empty strings")
            if values:
                lexicon.setdefault(category, {})[language] = sorted({value.strip() for value in values})
    if not lexicon:
        raise CueFileError(f"{where}: defines no cue category (expected [hedge] en = [...] and the like)")
    return lexicon


def cue_alternatives(phrases: Sequence[str]) -> str:
    """A regex alternation of `phrases`, longest first so "en discussions" wins over "en" at the same place."""
    alternatives = []
    for phrase in sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True):
        stem, wildcard = (phrase[:-1], True) if phrase.endswith("*") else (phrase, False)
        words = [re.sub("['’]", "['’]", re.escape(word)) for word in stem.lower().split()]
        alternatives.append(r"\s+".join(words) + (r"\w*" if wildcard else ""))
    return "|".join(alternatives)


def cue_pattern(phrases: Sequence[str]) -> str:
    """One case-insensitive regular expression matching any of `phrases` on word boundaries."""
    return r"(?i)(?<!\w)(?:" + cue_alternatives(phrases) + r")(?!\w)"
