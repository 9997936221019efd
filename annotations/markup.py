"""Our inline annotation markup and the Label Studio 1.23 JSON export it becomes.

We write annotations as marked-up text so nobody counts character offsets by hand: `[ORG SoftBank]` is an entity,
`{SPECULATIVE ...}` a claim. `parse_markup` computes the offsets; `annotation`, `task` and `task_data` lay them out
exactly as Label Studio's full JSON export does (checked key by key against a real export in
`tests/fixtures/labelstudio/real_export_1.23.2.json`). Two corpora are built with it: the real Wikinews corpus we
train on (`annotations/wikinews/build_export.py`) and the small synthetic sample the tests use
(`tests/fixtures/news-sample/build_export.py`).
"""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.text.sentences import split_sentences  # noqa: E402

PROJECT_ID = 1
ANNOTATORS = (1, 2, 3)  # Label Studio user ids, as `completed_by` holds them
START_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OPEN = re.compile(r"[\[{]([A-Z]+) ")


def parse_markup(
    marked: str, entity_labels: set[str], claim_labels: set[str], source: str
) -> tuple[str, list]:
    """Plain text and (group, label, start, end) regions from `[TYPE text]` and `{STATUS text}` markup.

    Brackets and braces that belong to the text are escaped with a backslash.
    """
    text: list[str] = []
    regions, stack = [], []
    position = 0
    while position < len(marked):
        char = marked[position]
        if char == "\\" and position + 1 < len(marked) and marked[position + 1] in "[]{}\\":
            text.append(marked[position + 1])  # a bracket of the text itself, escaped: \[ \] \{ \} \\
            position += 2
            continue
        match = OPEN.match(marked, position) if char in "[{" else None
        if match:
            label = match.group(1)
            group = "entities" if char == "[" else "claims"
            allowed = entity_labels if group == "entities" else claim_labels
            if label not in allowed:
                raise SystemExit(f"{source}: unknown {group} label {label!r} at character {position}")
            if any(open_group == group for open_group, *_ in stack):
                raise SystemExit(f"{source}: nested {group} at character {position}")
            stack.append((group, label, len(text), char))
            position = match.end()
            continue
        if char in "]}":
            if not stack or {"]": "[", "}": "{"}[char] != stack[-1][3]:
                raise SystemExit(f"{source}: unbalanced {char!r} at character {position}")
            group, label, start, _ = stack.pop()
            regions.append((group, label, start, len(text)))
            position += 1
            continue
        text.append(char)
        position += 1
    if stack:
        raise SystemExit(f"{source}: unclosed {stack[-1][0]} region")
    plain = "".join(text)
    for _group, label, start, end in regions:
        if plain[start:end] != plain[start:end].strip() or start == end:
            raise SystemExit(
                f"{source}: {label} region {plain[start:end]!r} has surrounding spaces or is empty"
            )
    return plain, regions


def region_id(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:10]


def result_of(text: str, regions: list, salt: str) -> list[dict]:
    return [
        {
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
            "id": region_id(salt, group, label, start, end),
            "from_name": group,
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
        }
        for group, label, start, end in sorted(regions, key=lambda region: (region[2], region[3], region[0]))
    ]


def timestamp(minutes: float) -> str:
    return (START_TIME + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def annotation(
    annotation_id: int, task_id: int, annotator: int, result: list, minutes: float, cancelled: bool = False
) -> dict:
    return {
        "id": annotation_id,
        "completed_by": annotator,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": timestamp(minutes),
        "updated_at": timestamp(minutes + 3),
        "draft_created_at": None,
        "lead_time": round(30 + 7.5 * len(result), 3),
        "prediction": {},
        "result_count": len(result),
        "unique_id": str(region_id("annotation", annotation_id)),
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": task_id,
        "project": PROJECT_ID,
        "updated_by": annotator,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def task(task_id: int, data: dict, annotations: list[dict], minutes: float) -> dict:
    return {
        "id": task_id,
        "annotations": annotations,
        "drafts": [],
        "predictions": [],
        "data": data,
        "meta": {},
        "created_at": timestamp(minutes),
        "updated_at": timestamp(minutes + 60),
        "allow_skip": True,
        "inner_id": task_id,
        "total_annotations": sum(not a["was_cancelled"] for a in annotations),
        "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": PROJECT_ID,
        "updated_by": annotations[-1]["completed_by"] if annotations else None,
        "comment_authors": [],
    }


def task_data(article_id: str, lang: str, title: str | None, text: str) -> dict:
    return {
        "text": text,
        "article_id": article_id,
        "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "lang": lang,
        "title": title,
        "sentences": [list(pair) for pair in split_sentences(text, lang)],
    }
