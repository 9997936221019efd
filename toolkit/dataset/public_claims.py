"""Weakly labelled claim datasets from the public corpora in ../shared/data (`make public-claims`).

Each dataset keeps its corpus's own labels (`toolkit.dataset.importers.weak`); experiments map them into our
statuses with `[[data.sources]] labels`. Written to `<output>/<name>`:

| name | from | labels | splits |
|---|---|---|---|
| szeged-wiki | szeged-uncertainty/wiki.xml | certain / uncertain | by document, 70/15/15 |
| meantime-factuality | meantime-en/conll | hedged / future / certain / no_event | train only |
| polnear | polnear/train, polnear/dev | speech / belief / none | train, validation (dev) |
| newssd | newssd-subjectivity/train.csv, val.csv | SUBJ / OBJ | train, validation (val) |

**Leakage.** MEANTIME's articles and NewsSD's training sentences are also in the shipped corpus, spread over its
splits. Every article id and sentence of the corpus's validation and test splits is excluded here, so a weak
copy of what the corpus scores never trains a model (the corpus's train articles may stay: they train anyway).
A corpus folder that is absent is skipped and named; an output newer than its inputs, and made against the same
version of the shipped dataset (`<output>/corpus-version`), is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["PUBLIC_CLAIMS", "PublicClaims", "build_public_claims", "scored_keys"]


@dataclass(frozen=True)
class PublicSource:
    format: str
    inputs: tuple[str, ...]  # relative to the shared data folder
    split_names: dict[str, str] = field(default_factory=dict)


PUBLIC_CLAIMS: dict[str, PublicSource] = {
    "szeged-wiki": PublicSource("szeged", ("szeged-uncertainty/wiki.xml",)),
    "meantime-factuality": PublicSource("meantime", ("meantime-en/conll",), {"conll": "train"}),
    "polnear": PublicSource("polnear", ("polnear/train", "polnear/dev")),
    "newssd": PublicSource("newssd", ("newssd-subjectivity/train.csv", "newssd-subjectivity/val.csv")),
}


@dataclass
class PublicClaims:
    written: dict[str, dict[str, int]] = field(default_factory=dict)  # name → rows per split
    up_to_date: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # name → the missing input
    excluded: dict[str, dict[str, int]] = field(default_factory=dict)  # name → documents / sentences left out


def scored_keys(corpus: Path) -> set[str]:
    """Article ids and sentence keys of the corpus's validation and test splits: what must never train."""
    from toolkit.dataset import load_dataset
    from toolkit.dataset.importers import text_key

    dataset, _ = load_dataset(corpus, "claims")
    keys: set[str] = set()
    for split in ("validation", "test"):
        if split in dataset:
            keys.update(dataset[split]["article_id"])
            keys.update(text_key(text) for text in dataset[split]["text"])
    return keys


def _newest(paths: list[Path]) -> float:
    times = []
    for path in paths:
        members = [path, *path.rglob("*")] if path.is_dir() else [path]
        times += [member.stat().st_mtime for member in members]
    return max(times)


def build_public_claims(shared: Path, corpus: Path, output: Path, *, force: bool = False) -> PublicClaims:
    """Write every public claims dataset whose corpus is in `shared`, leaving out what `corpus` scores."""
    from toolkit.dataset.importers import import_corpus

    if not (corpus / "manifest.json").is_file():
        raise ToolkitError(
            f"{corpus}: no dataset here (build it first: toolkit dataset build --output {corpus})"
        )
    from toolkit.io import read_json

    result = PublicClaims()
    keys: set[str] | None = None
    version = str(read_json(corpus / "manifest.json")["version"])
    stamp = output / "corpus-version"
    same_corpus = stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == version
    for name, source in PUBLIC_CLAIMS.items():
        inputs = [shared / item for item in source.inputs]
        missing = next((str(path) for path in inputs if not path.exists()), None)
        if missing:
            result.skipped[name] = missing
            continue
        target = output / name
        manifest = target / "manifest.json"
        if not force and same_corpus and manifest.is_file() and manifest.stat().st_mtime >= _newest(inputs):
            result.up_to_date.append(name)
            continue
        keys = scored_keys(corpus) if keys is None else keys
        imported = import_corpus(
            source.format, inputs, target, exclude=keys, split_names=source.split_names or None
        )
        result.written[name] = imported.rows
        result.excluded[name] = {
            kind: int(imported.report.get(f"excluded.{kind}", 0)) for kind in ("documents", "sentences")
        }
    if result.written:
        stamp.write_text(version + "\n", encoding="utf-8")
    return result
