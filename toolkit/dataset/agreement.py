"""How far annotators agree, and where: `toolkit agreement` on tasks that two or more people annotated.

Annotations a reviewer marked as ground truth (adjudications) are left out. Claim status is compared sentence by
sentence, each annotation read the way `dataset build` reads it (a sentence
takes the status of the claim region covering most of it, NONE otherwise): Cohen's kappa per annotator pair,
Krippendorff's alpha (nominal) over every annotator, kappa per class (that class against the rest), and the
confusion between annotators. Entities are compared as exact spans (start, end, type): F1 of one annotator
against the other, overall and per type. The disagreements themselves are listed, for adjudication.

`project_agreement` does the same on a Label Studio project's current annotations (fetched the way `toolkit pull`
fetches them, into a temporary export) and can send each disagreeing article to the review project, where a lead
settles it (toolkit.labelstudio.adjudicate).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from toolkit.dataset.build import sentence_status
from toolkit.labelstudio.adjudicate import ReviewResult
from toolkit.labelstudio.client import Client
from toolkit.labelstudio.exports import TaskAnnotation, read_export
from toolkit.project import SCHEMA
from toolkit.records import Span
from toolkit.schema import Schema, load_schema
from toolkit.text.sentences import sentence_offsets

__all__ = [
    "PairAgreement",
    "Disagreement",
    "AgreementReport",
    "ProjectAgreement",
    "agreement",
    "project_agreement",
    "disagreement_lines",
    "krippendorff_alpha",
    "span_f1",
]


@dataclass
class PairAgreement:
    annotators: tuple[str, str]
    tasks: int
    sentences: int
    observed: float  # share of sentences with the same status
    kappa: float
    entities: tuple[int, int, int]  # (spans of the first, of the second, exact matches)
    entity_f1: float
    entity_f1_per_type: dict[str, float]
    confusion: dict[str, dict[str, int]]  # first annotator's status → second's → sentences


@dataclass
class Disagreement:
    article_id: str
    task_id: int
    sentence: int  # index of the sentence in the article
    text: str
    statuses: dict[str, str]  # annotator → status
    entities: dict[str, list[str]] = field(default_factory=dict)  # annotator → "TYPE text" spans not shared


@dataclass
class AgreementReport:
    tasks: int  # tasks with two annotations or more
    sentences: int
    alpha: float
    pairs: list[PairAgreement]
    per_class_kappa: dict[str, float]
    per_type_f1: dict[str, float]
    entity_f1: float
    disagreements: list[Disagreement]


def span_f1(first: set, second: set) -> float:
    """F1 of one set of spans against another (symmetric: 2|A∩B| / (|A| + |B|)); 1.0 when both are empty."""
    if not first and not second:
        return 1.0
    return 2 * len(first & second) / (len(first) + len(second))


def krippendorff_alpha(units: Sequence[Sequence[str]]) -> float:
    """Krippendorff's alpha for nominal labels; each unit is the labels its coders gave (units with fewer than
    two labels are not pairable and are left out)."""
    coincidences: Counter = Counter()
    for labels in units:
        if len(labels) < 2:
            continue
        for a, b in ((a, b) for i, a in enumerate(labels) for j, b in enumerate(labels) if i != j):
            coincidences[a, b] += 1 / (len(labels) - 1)
    totals: Counter = Counter()
    for (a, _), value in coincidences.items():
        totals[a] += value
    n = sum(totals.values())
    if n <= 1:
        return float("nan")
    observed = sum(value for (a, b), value in coincidences.items() if a != b) / n
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n * (n - 1))
    return 1.0 if expected == 0 else 1 - observed / expected


def _statuses(annotation: TaskAnnotation, schema: Schema) -> list[tuple[int, int, str]]:
    claims = [Span(r.start, r.end, r.label) for r in annotation.regions_of(schema.claims.name)]
    return [
        (start, end, sentence_status(start, end, claims, schema.claim_classes[0]))
        for start, end in sentence_offsets(annotation.text, annotation.lang, annotation.sentences)
    ]


def _entities(annotation: TaskAnnotation, schema: Schema) -> set[tuple[int, int, str]]:
    return {(r.start, r.end, r.label) for r in annotation.regions_of(schema.entities.name)}


def _kappa(first: list[str], second: list[str]) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(first) | set(second)) < 2:
        return 1.0  # one label everywhere: nothing to agree by chance on, and nothing disagreed
    return float(cohen_kappa_score(first, second))


def agreement(exports: Sequence[str | Path], *, schema_path: Path = SCHEMA) -> AgreementReport:
    """Agreement on every task that two or more annotators finished, across `exports`."""
    schema = load_schema(schema_path)
    by_task: dict[tuple[str, int], list[TaskAnnotation]] = defaultdict(list)
    for path in exports:
        for annotation in read_export(path, schema, strict=True).annotations:
            if not annotation.ground_truth:  # a reviewer's adjudication is not an independent annotation
                by_task[str(path), annotation.task_id].append(annotation)
    shared = {key: annotations for key, annotations in by_task.items() if len(annotations) > 1}
    pair_data: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(list))
    units, disagreements = [], []
    classes = schema.claim_classes
    for task_annotations in shared.values():
        annotations = sorted(task_annotations, key=lambda a: a.annotation_id)
        statuses = {str(a.annotator): _statuses(a, schema) for a in annotations}
        entities = {str(a.annotator): _entities(a, schema) for a in annotations}
        first = annotations[0]
        n_sentences = min(len(rows) for rows in statuses.values())
        for index in range(n_sentences):
            labels = {who: rows[index][2] for who, rows in statuses.items()}
            units.append(list(labels.values()))
            start, end, _ = statuses[str(first.annotator)][index]
            inside = {
                who: {span for span in spans if span[0] >= start and span[1] <= end}
                for who, spans in entities.items()
            }
            every = set.union(*inside.values())
            not_shared = {
                who: sorted(f"{label} {first.text[s:e]}" for s, e, label in every - spans)
                for who, spans in inside.items()
                if every - spans
            }
            if len(set(labels.values())) > 1 or not_shared:
                disagreements.append(
                    Disagreement(
                        first.article_id, first.task_id, index, first.text[start:end], labels, not_shared
                    )
                )
        for a, b in combinations(annotations, 2):
            key = (str(a.annotator), str(b.annotator))
            data = pair_data[key]
            data["tasks"].append(a.task_id)
            data["first"].extend(label for _, _, label in statuses[key[0]][:n_sentences])
            data["second"].extend(label for _, _, label in statuses[key[1]][:n_sentences])
            data["spans_first"].extend((a.task_id, *span) for span in entities[key[0]])
            data["spans_second"].extend((a.task_id, *span) for span in entities[key[1]])
    pairs = [_pair(key, data, classes) for key, data in sorted(pair_data.items())]
    every_first = [label for data in pair_data.values() for label in data["first"]]
    every_second = [label for data in pair_data.values() for label in data["second"]]
    per_class = {
        label: _kappa([x == label for x in every_first], [x == label for x in every_second])
        for label in classes
        if label in every_first or label in every_second
    }
    spans_first = {span for data in pair_data.values() for span in data["spans_first"]}
    spans_second = {span for data in pair_data.values() for span in data["spans_second"]}
    types = sorted({span[3] for span in spans_first | spans_second})
    per_type = {
        kind: span_f1({s for s in spans_first if s[3] == kind}, {s for s in spans_second if s[3] == kind})
        for kind in types
    }
    return AgreementReport(
        tasks=len(shared),
        sentences=len(units),
        alpha=krippendorff_alpha(units),
        pairs=pairs,
        per_class_kappa=per_class,
        per_type_f1=per_type,
        entity_f1=span_f1(spans_first, spans_second),
        disagreements=disagreements,
    )


def _pair(key: tuple[str, str], data: dict, classes: list[str]) -> PairAgreement:
    first, second = data["first"], data["second"]
    confusion: dict[str, dict[str, int]] = {}
    for a, b in zip(first, second, strict=True):
        confusion.setdefault(a, {}).setdefault(b, 0)
        confusion[a][b] += 1
    spans_a, spans_b = set(data["spans_first"]), set(data["spans_second"])
    types = sorted({span[3] for span in spans_a | spans_b})
    return PairAgreement(
        annotators=key,
        tasks=len(set(data["tasks"])),
        sentences=len(first),
        observed=sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
        if first
        else float("nan"),
        kappa=_kappa(first, second),
        entities=(len(spans_a), len(spans_b), len(spans_a & spans_b)),
        entity_f1=span_f1(spans_a, spans_b),
        entity_f1_per_type={
            kind: span_f1({s for s in spans_a if s[3] == kind}, {s for s in spans_b if s[3] == kind})
            for kind in types
        },
        confusion={a: dict(sorted(row.items())) for a, row in sorted(confusion.items())},
    )


@dataclass
class ProjectAgreement:
    project: str
    project_id: int
    digest: str  # sha256 of the export the figures were computed on (pull.content_digest)
    report: AgreementReport
    review: ReviewResult | None = None  # what --adjudicate sent


def disagreement_lines(report: AgreementReport) -> dict[int, list[str]]:
    """Task id → one line per disagreeing sentence: `#3 1: FACT, 2: OPINION; 2 lacks ORG Acme`."""
    lines: dict[int, list[str]] = defaultdict(list)
    for item in report.disagreements:
        line = f"#{item.sentence} " + ", ".join(f"{who}: {status}" for who, status in item.statuses.items())
        for who, spans in item.entities.items():
            line += f"; {who} lacks {', '.join(spans)}"
        lines[item.task_id].append(line)
    return dict(lines)


def project_agreement(
    project: str,
    *,
    adjudicate: bool = False,
    schema_path: Path = SCHEMA,
    client: Client | None = None,
) -> ProjectAgreement:
    """Agreement on the current annotations of the Label Studio project `project`; with `adjudicate`, one task
    per disagreeing article in `<project> · review`, every annotator's work shown as a prediction."""
    import tempfile

    from toolkit.io import write_json_atomic
    from toolkit.labelstudio.adjudicate import adjudication_tasks, send_review_tasks
    from toolkit.labelstudio.client import connect
    from toolkit.labelstudio.pull import content_digest, fetch_export

    client = client or connect()
    project_id = client.project(project).id
    tasks = fetch_export(client, project_id)
    with tempfile.TemporaryDirectory(prefix="toolkit-agreement-") as folder:
        path = write_json_atomic(Path(folder) / "export.json", tasks)
        report = agreement([path], schema_path=schema_path)
        annotations = read_export(path, load_schema(schema_path), strict=True).annotations
    result = ProjectAgreement(project, project_id, content_digest(tasks), report)
    if adjudicate:
        review = adjudication_tasks(project_id, annotations, disagreement_lines(report))
        result.review = send_review_tasks(project, review, schema_path=schema_path, client=client)
    return result
