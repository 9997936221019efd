"""The label schema (annotations/schema.toml) and the Label Studio labelling config generated from it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from toolkit.errors import ToolkitError
from toolkit.io import parse_toml, read_text
from toolkit.project import LABELING_CONFIG, SCHEMA

__all__ = [
    "DEFAULT_SCHEMA",
    "Label",
    "LabelGroup",
    "Schema",
    "load_schema",
    "labeling_config",
    "NONE_LABEL",
    "TEXT_NAME",
]

DEFAULT_SCHEMA = SCHEMA
DEFAULT_CONFIG = LABELING_CONFIG
# The sentence-level class for a sentence that carries no claim.
NONE_LABEL = "NONE"
# The name of the <Text> tag; every region's `to_name`.
TEXT_NAME = "text"


@dataclass(frozen=True)
class Label:
    value: str
    description: str
    color: str
    hotkey: str


@dataclass(frozen=True)
class LabelGroup:
    name: str
    description: str
    labels: tuple[Label, ...]

    @property
    def values(self) -> list[str]:
        return [label.value for label in self.labels]


@dataclass(frozen=True)
class Schema:
    version: str
    entities: LabelGroup
    claims: LabelGroup
    guidelines: str
    digest: str
    description: str = ""  # what the labelling is for; the Label Studio project's description starts with it
    # Optional: regions that explain a pre-annotated claim status (hedges, attributions...); never trained on.
    cues: LabelGroup | None = None

    @property
    def groups(self) -> dict[str, LabelGroup]:
        groups = {self.entities.name: self.entities, self.claims.name: self.claims}
        if self.cues is not None:
            groups[self.cues.name] = self.cues
        return groups

    @property
    def claim_classes(self) -> list[str]:
        """Sentence-level classes: NONE first, then the claim statuses in schema order."""
        return [NONE_LABEL, *self.claims.values]

    @property
    def bio_tags(self) -> list[str]:
        """Token-level classes: O, then B-/I- for each entity type in schema order."""
        return ["O", *[f"{prefix}-{value}" for value in self.entities.values for prefix in ("B", "I")]]


def _group(raw: dict, key: str, path: Path) -> LabelGroup:
    try:
        section = raw[key]
        labels = tuple(
            Label(
                value=str(item["value"]),
                description=str(item.get("description", "")),
                color=str(item.get("color", "#888888")),
                hotkey=str(item.get("hotkey", "")),
            )
            for item in section["labels"]
        )
    except (KeyError, TypeError) as exc:
        raise ToolkitError(
            f"{path}: section [{key}] needs a list of [[{key}.labels]] with a value each ({exc})"
        ) from None
    if not labels:
        raise ToolkitError(f"{path}: [{key}] defines no labels")
    values = [label.value for label in labels]
    if len(set(values)) != len(values):
        raise ToolkitError(f"{path}: [{key}] defines a label twice: {values}")
    return LabelGroup(
        name=str(section.get("name", key)), description=str(section.get("description", "")), labels=labels
    )


def load_schema(path: str | Path = DEFAULT_SCHEMA) -> Schema:
    """Read and check the label schema; raise ToolkitError with the file named when it is unusable."""
    path = Path(path)
    text = read_text(path)
    raw = parse_toml(text, path)
    entities = _group(raw, "entities", path)
    claims = _group(raw, "claims", path)
    cues = _group(raw, "cues", path) if "cues" in raw else None
    overlap = set(entities.values) & set(claims.values)
    if overlap:
        raise ToolkitError(f"{path}: a label is both an entity and a claim status: {sorted(overlap)}")
    if cues is not None:
        shared = set(cues.values) & (set(entities.values) | set(claims.values))
        if shared:
            raise ToolkitError(f"{path}: a cue label is also an entity or a claim status: {sorted(shared)}")
        if any(label.hotkey for label in cues.labels):
            raise ToolkitError(f"{path}: [cues] labels take no hotkey (they explain pre-annotations)")
        if len({entities.name, claims.name, cues.name}) != 3:
            raise ToolkitError(f"{path}: [cues] needs a name of its own, got {cues.name!r}")
    hotkeys = [label.hotkey for label in (*entities.labels, *claims.labels) if label.hotkey]
    if len(set(hotkeys)) != len(hotkeys):
        raise ToolkitError(f"{path}: two labels share a hotkey: {hotkeys}")
    if NONE_LABEL in claims.values:
        raise ToolkitError(f"{path}: {NONE_LABEL} is reserved for sentences without a claim")
    return Schema(
        version=str(raw.get("version", "1")),
        entities=entities,
        claims=claims,
        guidelines=str(raw.get("guidelines", "annotations/GUIDELINES.md")),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        description=str(raw.get("description", "")),
        cues=cues,
    )


def labeling_config(schema: Schema) -> str:
    """The Label Studio labelling config: one <Text>, an entity <Labels> group and a claim <Labels> group on it,
    and the cue group when the schema has one (last, under its own header: it explains, it is not labelled)."""
    lines = ["<View>"]
    groups = [
        (schema.entities, "Entities"),
        (schema.claims, "Claims: select the claim, pick its status"),
    ]
    if schema.cues is not None:
        groups.append((schema.cues, "Cues behind a pre-annotated status (explanations, not trained on)"))
    for group, header in groups:
        lines.append(f"  <Header value={quoteattr(header)}/>")
        lines.append(f"  <Labels name={quoteattr(group.name)} toName={quoteattr(TEXT_NAME)}>")
        for label in group.labels:
            attributes = {"value": label.value, "background": label.color, "hint": label.description}
            if label.hotkey:
                attributes["hotkey"] = label.hotkey
            rendered = " ".join(f"{key}={quoteattr(value)}" for key, value in attributes.items())
            lines.append(f"    <Label {rendered}/>")
        lines.append("  </Labels>")
    lines.append(f'  <Text name={quoteattr(TEXT_NAME)} value="$text"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"
