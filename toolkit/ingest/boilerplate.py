"""Dropping an article's boilerplate lines (rules as data) and the lines it repeats."""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import chain, islice
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.io import parse_toml

__all__ = ["DEFAULT_RULES_NAME", "Rule", "Cleaned", "load_rules", "clean_lines"]

DEFAULT_RULES_NAME = "boilerplate.toml"


# A repeated line must be this long to count as a repeat: short lines ("Oui.", "Tokyo jeudi") recur honestly.
_MIN_REPEAT_WORDS = 5


# Where a repeated clause may end inside the longer line: at its end or before punctuation (French may put a
# space before ; : ! ? »).
_CLAUSE_END = r"(?=\s?[.,;:!?…»”\"')\]]|\s*$)"
_CLAUSE_ENDS = re.compile(_CLAUSE_END)
# What a line's key loses at either end.
_KEY_STRIP = " .!?…;:,«»“”\"'"
_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_LAST_SPACE = re.compile(r"\s\S*\Z")
# Candidate clauses are looked up by at most this many final characters of their last word.
_SUFFIX = 32


@dataclass(frozen=True)
class Rule:
    """A boilerplate line pattern and the name its file gives it."""

    name: str
    pattern: re.Pattern[str]

    def matches(self, line: str) -> bool:
        return self.pattern.search(line) is not None


@dataclass
class Cleaned:
    """A cleaned text and the lines removed from it, by reason."""

    text: str
    boilerplate: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)


def _rules_from_toml(content: str, origin: str) -> list[Rule]:
    raw = parse_toml(content, origin)
    entries = raw.get("rule")
    if not isinstance(entries, list) or not entries:
        raise ToolkitError(f"{origin}: defines no [[rule]] tables (each needs a regex)")
    rules = []
    for number, entry in enumerate(entries, start=1):
        name = str(entry.get("name", f"rule {number}")) if isinstance(entry, dict) else f"rule {number}"
        regex = entry.get("regex") if isinstance(entry, dict) else None
        if not isinstance(regex, str) or not regex:
            raise ToolkitError(f"{origin}: [[rule]] {name!r} needs a regex string")
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise ToolkitError(f"{origin}: [[rule]] {name!r} has an invalid regex ({exc})") from None
        rules.append(Rule(name=name, pattern=pattern))
    return rules


def load_rules(extra: Path | None = None) -> list[Rule]:
    """The default boilerplate rules (toolkit/data/boilerplate.toml), followed by those in `extra`."""
    default = resources.files("toolkit").joinpath("data", DEFAULT_RULES_NAME)
    rules = _rules_from_toml(default.read_text(encoding="utf-8"), f"toolkit/data/{DEFAULT_RULES_NAME}")
    if extra is not None:
        from toolkit.io import read_text

        rules += _rules_from_toml(read_text(extra), str(extra))
    return rules


def _repeat_key(line: str) -> str:
    """A line as compared for repeats: case-folded, one apostrophe, without its closing punctuation."""
    return line.casefold().replace("’", "'").strip(_KEY_STRIP)


def _long_enough(key: str) -> bool:
    return sum(1 for _ in islice(_WORD.finditer(key), _MIN_REPEAT_WORDS)) == _MIN_REPEAT_WORDS


def _suffix(text: str, end: int, word_start: int) -> str:
    """What clauses ending at `end` are indexed by: the last `_SUFFIX` characters of the word that ends there."""
    return text[max(word_start, end - _SUFFIX) : end]


def _word_start(text: str, start: int, end: int, previous: int) -> int:
    """Where the word ending at `end` begins: after the last whitespace in `text[start:end]`, else `previous`."""
    space = _LAST_SPACE.search(text, start, end)
    return previous if space is None else space.start() + 1


class _Clauses:
    """The keys of the lines long enough to count as repeats, indexed by the suffix of their last word, and the
    lines in which each one appears as a clause (at a word boundary, ending where a clause may end)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.found_in: dict[str, list[int]] = {key: [] for key in keys if _long_enough(key)}
        self.lengths_by_suffix: dict[str, set[int]] = {}
        lengths: set[int] = set()
        for key in self.found_in:
            word_start = _word_start(key, 0, len(key), 0)
            self.lengths_by_suffix.setdefault(_suffix(key, len(key), word_start), set()).add(len(key))
            if word_start == 0 and len(key) < _SUFFIX:
                lengths.add(len(key))
        # A key without whitespace shorter than the suffix may end a longer word ("x-" + "a-b-c-d-e").
        self.short_words = sorted(lengths)
        # The two shortest keys: a line shorter than every key but its own holds none (a lone line, above all).
        self.shortest = heapq.nsmallest(2, self.found_in, key=len)

    def scan(self, line: int, haystack: str, own_key: str) -> None:
        """Record every key, other than the line's own, that `haystack` holds as a clause."""
        others = [key for key in self.shortest if key != own_key]
        if not others or len(others[0]) > len(haystack):
            return
        found: set[str] = set()
        previous_end = word_start = 0
        for match in _CLAUSE_ENDS.finditer(haystack):
            end = match.start()
            word_start = _word_start(haystack, previous_end, end, word_start)
            previous_end = end
            if end == 0 or haystack[end - 1] in _KEY_STRIP:
                continue
            lengths = self.lengths_by_suffix.get(_suffix(haystack, end, word_start), ())
            shorter = (length for length in self.short_words if length < end - word_start)
            for length in chain(lengths, shorter):
                start = end - length
                if start < 0 or (start > 0 and _WORD_CHAR.match(haystack, start - 1)):
                    continue
                clause = haystack[start:end]
                if clause in self.found_in and clause != own_key and clause not in found:
                    found.add(clause)
                    self.found_in[clause].append(line)


def _repeated_lines(lines: Sequence[str]) -> set[int]:
    """Indexes of lines whose whole content appears again elsewhere in the article (machine translation and
    scraping repeat a sentence as a stand-alone line); of two identical lines the first stays.

    A line of at least `_MIN_REPEAT_WORDS` words repeats when an earlier kept line has the same key, or when
    another line with a different key holds it as a clause: any later line, or an earlier one that was kept.
    Each line is scanned once, at the positions where a clause may end, and the candidate clauses ending there
    are looked up by hash, so the cost follows the article's length, not the square of its line count.
    """
    keys = [_repeat_key(line) for line in lines]
    clauses = _Clauses(keys)
    for index, line in enumerate(lines):
        clauses.scan(index, line.casefold().replace("’", "'"), keys[index])
    repeated: set[int] = set()
    first_kept: dict[str, int] = {}
    # Per key, how many of the lines holding it are known to be repeated lines before the current one.
    skipped: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key not in clauses.found_in:
            continue
        if key in first_kept:
            repeated.add(index)
            continue
        holders = clauses.found_in[key]
        position = skipped.get(key, 0)
        while position < len(holders) and holders[position] < index and holders[position] in repeated:
            position += 1
        skipped[key] = position
        if position < len(holders):
            repeated.add(index)
        else:
            first_kept[key] = index
    return repeated


def clean_lines(text: str, rules: Sequence[Rule]) -> Cleaned:
    """Drop boilerplate lines (any rule matches) and lines that repeat text found elsewhere in the article.

    `text` is normalised (see `normalize`); the result keeps its paragraph structure.
    """
    boilerplate = []
    lines: list[tuple[int, str]] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        for line in paragraph.split("\n"):
            if not line:
                continue
            if any(rule.matches(line) for rule in rules):
                boilerplate.append(line)
            else:
                lines.append((number, line))
    repeated = _repeated_lines([line for _, line in lines])
    paragraphs: dict[int, list[str]] = {}
    for index, (number, line) in enumerate(lines):
        if index not in repeated:
            paragraphs.setdefault(number, []).append(line)
    return Cleaned(
        text="\n\n".join("\n".join(kept) for kept in paragraphs.values()),
        boilerplate=boilerplate,
        repeated=[lines[index][1] for index in sorted(repeated)],
    )
