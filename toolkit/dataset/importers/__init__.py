"""Public corpora → the datasets `toolkit dataset build` makes: `entities` or `claims`, split, hashed.

`import_corpus("conll2003", [train, dev], output)` reads each file with the reader of its format, checks
every line (one-line errors naming file and line), turns tags into IOB2, renames or drops types with the
label map, and writes the same layout, manifest and content hash as `dataset build` (`toolkit.dataset`).

Splits: a file whose name says its split (`train`, `dev`/`val`/`testa`, `test`/`testb`) or that
`split_names` assigns, gives that split; files without a split are split by document, seeded, with
`toolkit.dataset.split_groups` (each file and language cut separately, so every split has some of each).

Default label maps: CoNLL, Europeana and FiNER-ORD types are kept as they are (PER, LOC, ORG, MISC: MISC stays
MISC). BRAT (WiNER-fr): Person→PER, Organization→ORG, Location→LOC, Date→DATE; Hour, Event, Product dropped.
HIPE-2020 coarse types become pers→PER, loc→LOC, org→ORG, time→DATE, prod→PROD: prod is kept (the
official HIPE coarse scores count it) and can be dropped with `prod=`. A label map given by the caller is
laid over the default; a type mapped to nothing (or to `O`) is dropped: its tokens become `O`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.dataset.importers.brat import WINER_LABELS, read_brat
from toolkit.dataset.importers.common import (
    Corpus,
    Document,
    LabelledSentence,
    TaggedSentence,
    exclude_known,
    text_key,
)
from toolkit.dataset.importers.conll import read_conll
from toolkit.dataset.importers.finer import read_finer
from toolkit.dataset.importers.hipe import read_hipe
from toolkit.dataset.importers.sentences import read_sentences
from toolkit.dataset.importers.szeged import LABELS as UNCERTAINTY_LABELS
from toolkit.dataset.importers.szeged import read_uncertainty_xml
from toolkit.dataset.importers.weak import (
    MEANTIME_LABELS,
    NEWSSD_LABELS,
    POLNEAR_LABELS,
    read_meantime,
    read_newssd,
    read_polnear,
)
from toolkit.errors import ToolkitError
from toolkit.project import SEED
from toolkit.text.bio import repair_bio

__all__ = [
    "FORMATS",
    "FormatSpec",
    "ImportResult",
    "import_corpus",
    "parse_label_map",
    "parse_split_names",
    "split_of_name",
    "text_key",
]

Reader = Callable[..., Corpus]


@dataclass(frozen=True)
class FormatSpec:
    reader: Reader
    task: str
    lang: str
    label_map: Mapping[str, str | None]
    description: str
    labels: tuple[str, ...] = ()


HIPE_LABELS = {"pers": "PER", "loc": "LOC", "org": "ORG", "time": "DATE", "prod": "PROD"}
FORMATS: dict[str, FormatSpec] = {
    "conll": FormatSpec(
        read_conll, "entities", "", {}, "CoNLL column file, IOB1 or IOB2, tag in the last column"
    ),
    "conll2003": FormatSpec(
        read_conll, "entities", "en", {}, "CoNLL-2003 (English, IOB1, -DOCSTART- documents)"
    ),
    "europeana": FormatSpec(read_conll, "entities", "fr", {}, "Europeana Newspapers NER (token tag, IOB1)"),
    "hipe": FormatSpec(read_hipe, "entities", "fr", HIPE_LABELS, "HIPE-2020 TSV, coarse literal entities"),
    "finer": FormatSpec(read_finer, "entities", "en", {}, "FiNER-ORD CSV, one token per row"),
    "brat": FormatSpec(
        read_brat, "entities", "", WINER_LABELS, "BRAT standoff folders (.txt + .ann), WiNER types mapped"
    ),
    "sentences": FormatSpec(read_sentences, "claims", "", {}, "labelled sentences, JSONL or CSV/TSV"),
    "szeged": FormatSpec(
        read_uncertainty_xml,
        "claims",
        "en",
        {},
        "Szeged uncertainty XML (uncertain = ccue)",
        UNCERTAINTY_LABELS,
    ),
    "bioscope": FormatSpec(
        read_uncertainty_xml,
        "claims",
        "en",
        {},
        "BioScope XML (uncertain = speculation cue)",
        UNCERTAINTY_LABELS,
    ),
    "meantime": FormatSpec(
        read_meantime,
        "claims",
        "en",
        {},
        "MEANTIME factuality CoNLL (hedged/future/certain)",
        MEANTIME_LABELS,
    ),
    "polnear": FormatSpec(
        read_polnear, "claims", "en", {}, "PolNeAR split folders (speech/belief attribution)", POLNEAR_LABELS
    ),
    "newssd": FormatSpec(read_newssd, "claims", "en", {}, "NewsSD-ENG CSV (SUBJ/OBJ)", NEWSSD_LABELS),
}

# Words in a file name that say its split.
_SPLIT_WORDS = {
    "train": "train",
    "training": "train",
    "dev": "validation",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "testa": "validation",
    "test": "test",
    "testb": "test",
}
_EXTENSIONS = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".xml", ".txt", ".bio", ".conll", ".iob")


@dataclass
class ImportResult:
    output: Path
    task: str
    manifest: Any  # toolkit.dataset.Manifest
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, int]:
        return dict(self.manifest.tasks[self.task]["rows"])


def parse_label_map(text: str | None) -> dict[str, str | None]:
    """`pers=PER,time=DATE,prod=` → {"pers": "PER", "time": "DATE", "prod": None} (None: drop the type)."""
    mapping: dict[str, str | None] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        source, equals, target = item.partition("=")
        if not equals or not source.strip():
            raise ToolkitError(
                f"--label-map: expected FROM=TO items separated by commas, got {item.strip()!r}"
            )
        target = target.strip()
        mapping[source.strip()] = None if target in ("", "O") else target
    return mapping


def parse_split_names(text: str | None) -> dict[str, str]:
    """`train=eng.train,validation=eng.testa` → {"eng.train": "train", "eng.testa": "validation"}."""
    from toolkit.dataset import SPLITS

    files: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        split, equals, name = (part.strip() for part in item.partition("="))
        if not equals or split not in SPLITS or not name:
            raise ToolkitError(
                f"--split-names: expected SPLIT=FILE items with SPLIT one of {', '.join(SPLITS)}, got {item!r}"
            )
        files[name] = split
    return files


def split_of_name(path: Path) -> str | None:
    """The split a file's name says it holds (`eng.testa` → validation, `train.csv` → train), or None."""
    words = re.split(r"[^a-z]+", path.name.lower())
    found = {_SPLIT_WORDS[word] for word in words if word in _SPLIT_WORDS}
    return found.pop() if len(found) == 1 else None


def _name(path: Path) -> str:
    name = path.name
    for extension in _EXTENSIONS:
        if name.lower().endswith(extension) and len(name) > len(extension):
            return name[: -len(extension)]
    return name


def _file_splits(paths: Sequence[Path], split_names: Mapping[str, str] | None) -> list[str | None] | None:
    """The split of each file, or None when the files are to be split by document."""
    if split_names:
        unknown = set(split_names) - {p.name for p in paths} - {str(p) for p in paths}
        if unknown:
            raise ToolkitError(f"--split-names names files not given: {', '.join(sorted(unknown))}")
        splits = [split_names.get(str(path), split_names.get(path.name)) for path in paths]
        missing = [str(path) for path, split in zip(paths, splits, strict=True) if split is None]
        if missing:
            raise ToolkitError(f"--split-names gives no split for {', '.join(missing)}")
        return splits
    inferred = [split_of_name(path) for path in paths]
    if all(split is None for split in inferred):
        return None
    if any(split is None for split in inferred):
        unknown = [str(path) for path, split in zip(paths, inferred, strict=True) if split is None]
        raise ToolkitError(
            f"{', '.join(unknown)}: the file name says no split while others do; name them all with --split-names"
        )
    return inferred


def _entity_rows(
    document: Document, label_map: Mapping[str, str | None], counters: Counter
) -> list[dict[str, Any]]:
    rows = []
    for index, sentence in enumerate(document.sentences):
        assert isinstance(sentence, TaggedSentence)
        repaired = repair_bio(sentence.tags)
        counters["tags_repaired"] += sum(a != b for a, b in zip(repaired, sentence.tags, strict=True))
        tags = []
        for tag in repaired:
            if tag == "O":
                tags.append(tag)
                continue
            kind = tag[2:]
            target = label_map.get(kind, kind)
            if target is None:
                counters[f"entities_dropped.{kind}"] += tag.startswith("B-")
                tags.append("O")
            else:
                tags.append(f"{tag[:2]}{target}")
        starts, ends, offset = [], [], 0
        for token in sentence.tokens:
            starts.append(offset)
            ends.append(offset + len(token))
            offset += len(token) + 1
        rows.append(
            {
                "id": f"{document.id}:{index}",
                "article_id": document.id,
                "lang": document.lang,
                "text": " ".join(sentence.tokens),
                "start": 0,
                "tokens": list(sentence.tokens),
                "starts": starts,
                "ends": ends,
                "tags": tags,
            }
        )
    return rows


def _claim_rows(
    document: Document, label_map: Mapping[str, str | None], counters: Counter
) -> list[dict[str, Any]]:
    rows, offset = [], 0
    for index, sentence in enumerate(document.sentences):
        assert isinstance(sentence, LabelledSentence)
        label = label_map.get(sentence.label, sentence.label)
        if label is None:
            counters[f"sentences_dropped.{sentence.label}"] += 1
            continue
        rows.append(
            {
                "id": f"{document.id}:{index}",
                "article_id": document.id,
                "lang": document.lang,
                "text": sentence.text,
                "label": label,
                "start": offset,
                "end": offset + len(sentence.text),
            }
        )
        offset += len(sentence.text) + 1
    return rows


def _label_names(
    task: str, rows: list[dict[str, Any]], fixed: Sequence[str], label_map: Mapping
) -> list[str]:
    if task == "claims":
        present = {row["label"] for row in rows}
        ordered = [label_map.get(label, label) for label in fixed]
        names = [label for label in dict.fromkeys(ordered) if label is not None]
        return names + sorted(present - set(names))
    kinds = sorted({tag[2:] for row in rows for tag in row["tags"] if tag != "O"})
    return ["O", *(f"{prefix}-{kind}" for kind in kinds for prefix in ("B", "I"))]


def import_corpus(
    format: str,
    paths: Sequence[str | Path],
    output: str | Path,
    *,
    label_map: Mapping[str, str | None] | None = None,
    seed: int = SEED,
    split_names: Mapping[str, str] | None = None,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    lang: str | None = None,
    exclude: Collection[str] | Callable[[Document], bool] = (),
) -> ImportResult:
    """Read public-format files and write a toolkit dataset; see the module docstring for the rules.

    `exclude` leaves out what another dataset already scores, so that a copy of it never trains a model judged
    on it: document ids and sentence keys (`text_key`), or a function saying yes to the documents to drop
    (counted as `documents_excluded`)."""
    from toolkit.dataset import SPLITS, split_groups, write_dataset

    if format not in FORMATS:
        raise ToolkitError(f"unknown format {format!r} (known: {', '.join(FORMATS)})")
    spec = FORMATS[format]
    paths = [Path(path) for path in paths]
    if not paths:
        raise ToolkitError("no input file given")
    names = [_name(path) for path in paths]
    if len(set(names)) < len(names):
        names = [f"{path.parent.name}/{name}" for path, name in zip(paths, names, strict=True)]
    effective_map = {**spec.label_map, **(label_map or {})}
    file_splits = _file_splits(paths, split_names)
    counters: Counter = Counter()
    per_file: list[tuple[list[Document], list[list[dict[str, Any]]]]] = []
    files_report: dict[str, dict[str, int]] = {}
    for path, name in zip(paths, names, strict=True):
        corpus = spec.reader(path, name=name, lang=spec.lang)
        for document in corpus.documents if lang is not None else ():
            document.lang = lang
        if callable(exclude):
            kept = [document for document in corpus.documents if not exclude(document)]
            counters["documents_excluded"] += len(corpus.documents) - len(kept)
            corpus.documents = kept
        elif exclude:
            exclude_known(corpus, exclude, counters)
        make_rows = _entity_rows if spec.task == "entities" else _claim_rows
        rows = [make_rows(document, effective_map, counters) for document in corpus.documents]
        per_file.append((corpus.documents, rows))
        files_report[str(path)] = {
            "documents": len(corpus.documents),
            "sentences": sum(map(len, rows)),
            **(
                {"tokens": sum(len(r["tokens"]) for doc in rows for r in doc)}
                if spec.task == "entities"
                else {}
            ),
            **dict(sorted(corpus.notes.items())),
        }
    tables: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    if file_splits is None:
        groups = {
            document.id: f"{document.lang}/{name}"
            for (documents, _), name in zip(per_file, names, strict=True)
            for document in documents
        }
        assignment = split_groups(list(groups), groups, seed, (validation_fraction, test_fraction))
        for documents, rows in per_file:
            for document, document_rows in zip(documents, rows, strict=True):
                tables[assignment[document.id]].extend(document_rows)
    else:
        for (_, rows), split in zip(per_file, file_splits, strict=True):
            tables[split].extend(row for document_rows in rows for row in document_rows)
    every_row = [row for rows in tables.values() for row in rows]
    if not every_row:
        raise ToolkitError(f"{', '.join(map(str, paths))}: nothing to import (no sentence found)")
    label_names = _label_names(spec.task, every_row, spec.labels, effective_map)
    unused = sorted(set(label_map or {}) - _labels_seen(per_file, spec.task))
    report = {
        "format": format,
        "label_map": effective_map,
        "split_by": "document" if file_splits is None else "file",
        **({"fractions": [validation_fraction, test_fraction]} if file_splits is None else {}),
        "files": files_report,
        **dict(sorted(counters.items())),
        **({"label_map_unused": unused} if unused else {}),
    }
    sources = [
        {
            "path": str(path),
            "sha256": _digest(path),
            "format": format,
            **({"split": split} if file_splits is not None and (split := file_splits[i]) else {}),
        }
        for i, path in enumerate(paths)
    ]
    manifest = write_dataset(
        Path(output), {spec.task: tables}, {spec.task: label_names}, sources=sources, seed=seed, report=report
    )
    return ImportResult(Path(output), spec.task, manifest, report)


def _digest(path: Path) -> str:
    """sha256 of a file, or of a folder's files (relative names and contents, in name order)."""
    if not path.is_dir():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for member in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(member.relative_to(path)).encode() + b"\0" + member.read_bytes() + b"\0")
    return digest.hexdigest()


def _labels_seen(per_file: list[tuple[list[Document], Any]], task: str) -> set[str]:
    seen: set[str] = set()
    for documents, _ in per_file:
        for document in documents:
            for sentence in document.sentences:
                if task == "claims":
                    seen.add(sentence.label)
                else:
                    seen.update(tag[2:] for tag in sentence.tags if tag != "O")
    return seen
