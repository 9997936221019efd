"""Label Studio exports → the claims and entities datasets (`toolkit dataset build`), split by article."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.dataset.store import SPLITS, Manifest, split_groups, write_dataset
from toolkit.errors import ToolkitError
from toolkit.io import check_writable
from toolkit.labelstudio.exports import ExportReport, TaskAnnotation, choose_annotation, read_export
from toolkit.labelstudio.snapshots import check_snapshot_folder, latest_snapshot
from toolkit.project import DATA, EXPORTS, SEED, TRAINING
from toolkit.records import Span
from toolkit.schema import DEFAULT_SCHEMA, Schema, load_schema
from toolkit.text.bio import spans_to_bio
from toolkit.text.sentences import sentence_offsets
from toolkit.text.tokens import tokenize_with_boundaries

__all__ = [
    "DEFAULT_EXPORTS",
    "DEFAULT_TRAINING",
    "BuildResult",
    "sentence_status",
    "training_snapshots",
    "latest_snapshots",
    "build_dataset",
]

DEFAULT_EXPORTS = EXPORTS


DEFAULT_TRAINING = TRAINING


@dataclass
class BuildResult:
    output: Path
    manifest: Manifest
    report: ExportReport
    duplicate_annotations: int
    counts: dict[str, int] = field(default_factory=dict)  # what building rows repaired or dropped


def training_snapshots(config: Path = DEFAULT_TRAINING, root: Path | None = None) -> list[Path]:
    """The newest snapshot of each project `config` lists (`projects = [...]`), from `root` (default: the
    `exports` folder beside the config). A listed project without a snapshot is an error, not a silent gap, and
    so is a folder whose newest snapshot would hide another project's (snapshots.check_snapshot_folder)."""
    from toolkit.io import parse_toml, read_text

    projects = parse_toml(read_text(config), str(config)).get("projects")
    if not isinstance(projects, list) or not projects or not all(isinstance(p, str) and p for p in projects):
        raise ToolkitError(f'{config}: expected projects = ["folder", ...] naming at least one project')
    root = config.parent / "exports" if root is None else root
    snapshots = []
    for project in projects:
        snapshot = latest_snapshot(root / project)
        if snapshot is None:
            raise ToolkitError(f"{config}: project {project!r} has no snapshot in {root / project}")
        check_snapshot_folder(root / project, snapshot)
        snapshots.append(snapshot)
    return snapshots


def latest_snapshots(root: Path = DEFAULT_EXPORTS) -> list[Path]:
    """The newest export of each project folder under `root` (snapshot names sort by time); a folder whose newest
    snapshot would hide another project's is refused (snapshots.check_snapshot_folder)."""
    if not root.is_dir():
        raise ToolkitError(f"{root}: no exports folder; pass export files or run `toolkit pull` first")
    latest = []
    for folder in sorted(root.iterdir()):
        if snapshot := latest_snapshot(folder):
            check_snapshot_folder(folder, snapshot)
            latest.append(snapshot)
    if not latest:
        raise ToolkitError(
            f"{root}: no export snapshots found; pass export files or run `toolkit pull` first"
        )
    return latest


def sentence_status(start: int, end: int, claims: list[Span], none_label: str) -> str:
    """The status of the claim that covers most of the sentence; NONE when no claim touches it."""
    best, best_overlap = none_label, 0
    for claim in claims:
        overlap = min(end, claim.end) - max(start, claim.start)
        if overlap > best_overlap:
            best, best_overlap = claim.label, overlap
    return best


def _rows(annotation: TaskAnnotation, schema: Schema, counters: Counter) -> tuple[list[dict], list[dict]]:
    claims = [Span(r.start, r.end, r.label) for r in annotation.regions_of(schema.claims.name)]
    entities = [Span(r.start, r.end, r.label) for r in annotation.regions_of(schema.entities.name)]
    claim_rows, entity_rows = [], []
    for index, (start, end) in enumerate(
        sentence_offsets(annotation.text, annotation.lang, annotation.sentences)
    ):
        sentence = annotation.text[start:end]
        touching = {claim.label for claim in claims if min(end, claim.end) > max(start, claim.start)}
        # Claims of different statuses over one sentence: the one covering most of it wins; say how often.
        counters["sentences_with_competing_claims"] += len(touching) > 1
        row_id = f"{annotation.article_id}:{index}"
        common = {
            "id": row_id,
            "article_id": annotation.article_id,
            "lang": annotation.lang,
            "text": sentence,
        }
        claim_rows.append(
            {
                **common,
                "label": sentence_status(start, end, claims, schema.claim_classes[0]),
                "start": start,
                "end": end,
            }
        )
        inside = [
            Span(s.start - start, s.end - start, s.label)
            for s in entities
            if s.start >= start and s.end <= end
        ]
        counters["entities_across_sentences"] += sum(
            1 for s in entities if s.start < end and s.end > start and not (s.start >= start and s.end <= end)
        )
        tokens = tokenize_with_boundaries(sentence, [b for s in inside for b in (s.start, s.end)])
        tags = spans_to_bio(tokens, inside)
        tagged = sum(tag.startswith("B-") for tag in tags)
        counters["entities"] += tagged
        counters["entities_not_aligned"] += len(inside) - tagged
        entity_rows.append(
            {
                **common,
                "start": start,
                "tokens": [token for token, _, _ in tokens],
                "starts": [token_start for _, token_start, _ in tokens],
                "ends": [token_end for _, _, token_end in tokens],
                "tags": tags,
            }
        )
    return claim_rows, entity_rows


def build_dataset(
    exports: Sequence[Path] = (),
    output: Path = DATA,
    *,
    schema_path: Path = DEFAULT_SCHEMA,
    seed: int = SEED,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> BuildResult:
    """Build the claims and entities datasets from Label Studio exports (default: the newest snapshot of each
    project `annotations/training.toml` lists).

    Every span is checked (offsets, text, label) and a bad one stops the build with one line naming the
    export and task. Cancelled and empty annotations are dropped and counted. An article can have several
    annotations: several people on one task, a new task after its text changed, or several exports. The one
    `choose_annotation` picks goes in (a reviewer's ground truth, else the most recent), with its own text;
    the others are counted as not chosen. A task without an article id is its own article, named after its
    export (`exports.export_name`), so task 1 of two projects never merges. Sentences under claims of different
    statuses take the status covering most of them, and are counted (`sentences_with_competing_claims`).
    """
    check_writable(output, directory=True)
    schema = load_schema(schema_path)
    exports = list(exports) or training_snapshots()
    report = ExportReport()
    by_article: dict[str, list[TaskAnnotation]] = defaultdict(list)
    sources = []
    for path in exports:
        result = read_export(path, schema, strict=True)
        report.add(result.report)
        for annotation in result.annotations:
            by_article[annotation.article_id].append(annotation)
        sources.append({"path": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()})
    if not by_article:
        raise ToolkitError(
            f"{', '.join(map(str, exports))}: no usable annotation (all cancelled, empty or missing)"
        )
    chosen = {
        article_id: choose_annotation(annotations) for article_id, annotations in sorted(by_article.items())
    }
    duplicates = sum(len(annotations) - 1 for annotations in by_article.values())
    assignment = split_groups(
        list(chosen),
        {a: annotation.lang for a, annotation in chosen.items()},
        seed,
        (validation_fraction, test_fraction),
    )
    if "train" not in assignment.values():
        raise ToolkitError(
            f"{len(chosen)} annotated articles leave none for training at validation {validation_fraction} "
            f"and test {test_fraction}; lower them or annotate more articles"
        )
    tables: dict[str, dict[str, list[dict]]] = {
        "claims": {s: [] for s in SPLITS},
        "entities": {s: [] for s in SPLITS},
    }
    counters: Counter = Counter()
    for article_id, annotation in chosen.items():
        claim_rows, entity_rows = _rows(annotation, schema, counters)
        tables["claims"][assignment[article_id]].extend(claim_rows)
        tables["entities"][assignment[article_id]].extend(entity_rows)
    extra = {
        **{k: v for k, v in report.__dict__.items() if k != "problems"},
        "articles": len(chosen),
        "annotations_not_chosen": duplicates,
        **counters,
    }
    manifest = write_dataset(
        output,
        tables,
        {"claims": schema.claim_classes, "entities": schema.bio_tags},
        sources=sources,
        seed=seed,
        schema_digest=schema.digest,
        report=extra,
    )
    return BuildResult(
        output=Path(output),
        manifest=manifest,
        report=report,
        duplicate_annotations=duplicates,
        counts=dict(counters),
    )
