"""Dropping an article's boilerplate lines (rules as data) and the lines it repeats."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
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
    return line.casefold().replace("’", "'").strip(" .!?…;:,«»“”\"'")


def _repeated_lines(lines: Sequence[str]) -> set[int]:
    """Indexes of lines whose whole content appears again elsewhere in the article (machine translation and
    scraping repeat a sentence as a stand-alone line); of two identical lines the first stays."""
    keys = [_repeat_key(line) for line in lines]
    haystacks = [line.casefold().replace("’", "'") for line in lines]
    repeated = set()
    for index, key in enumerate(keys):
        if len(re.findall(r"\w+", key)) < _MIN_REPEAT_WORDS:
            continue
        inside = re.compile(r"(?<!\w)" + re.escape(key) + _CLAUSE_END)
        for other, haystack in enumerate(haystacks):
            if other == index or other in repeated:
                continue
            if keys[other] == key:
                if other < index:
                    repeated.add(index)
                    break
            elif inside.search(haystack):
                repeated.add(index)
                break
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
