"""The public entity corpora `make train` mixes into training, imported from `../shared/data` when present.

    import_public(Path("../shared/data"), Path("data/public"), exclude=Path("data/corpus"))

Each corpus of `PUBLIC` that exists under the shared folder becomes a dataset folder `data/public/<name>` (what
`toolkit dataset import` writes), its types mapped into our schema: PER, ORG, LOC, DATE (MONEY and PERCENT only
our corpus has). CoNLL's MISC and HIPE's prod are dropped (their tokens become O); WiNER keeps Person,
Organization, Location, Date and drops Hour, Event, Product. Splits are each corpus's own train and dev where it
has them; WiNER and Europeana have none and are split by document, seeded.

Our French articles are WiNER articles (annotations/wikinews/prepare.py chose them): a WiNER document that is an
article of the `exclude` dataset (same article id, or half of its sentences word for word: the same article under
another name) is left out, or our validation and test articles would train the model that is judged on them. One
shared sentence is not enough: Wikinews repeats boilerplate and the titles of related articles.

A corpus whose inputs, label map, split and exclusion are those of its last import is not imported again
(`public.json` in its folder records them), so a second `make train` costs nothing here. An absent corpus is
skipped and said so; a fresh machine without `../shared` trains on our corpus alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.dataset.importers.common import Document
from toolkit.project import SEED

__all__ = ["PUBLIC", "PublicCorpus", "PublicImport", "import_public", "shipped_articles"]

RECIPE = "public.json"
# Raised when the importers change what a recipe produces, so every corpus is imported again.
RECIPE_VERSION = 2
# A sentence this long (letters and digits, spaces removed) shared with our corpus marks the same article;
# shorter ones ("Sources", a dateline) recur across unrelated articles.
MIN_SHARED_SENTENCE = 40


@dataclass(frozen=True)
class PublicCorpus:
    name: str  # the folder under --output, and the source name experiments give it
    format: str  # a format of toolkit.dataset.importers.FORMATS
    files: tuple[str, ...]  # under the shared folder
    label_map: dict[str, str | None] = field(default_factory=dict)  # over the format's default map
    options: dict[str, Any] = field(default_factory=dict)  # import_corpus's split options
    exclude_shipped: bool = False  # holds articles of our own corpus


BY_DOCUMENT = {"validation_fraction": 0.15, "test_fraction": 0.0}
PUBLIC = (
    PublicCorpus("winer-fr", "brat", ("winer-fr",), options={**BY_DOCUMENT, "lang": "fr"}, exclude_shipped=True),
    PublicCorpus("conll2003-en", "conll2003", ("conll2003-en/eng.train", "conll2003-en/eng.testa"),
                 {"MISC": None}),
    PublicCorpus("europeana-ner-fr", "europeana", ("europeana-ner-fr/enp_FR.bnf.bio",), options=BY_DOCUMENT),
    PublicCorpus("hipe2020-fr", "hipe",
                 ("hipe2020-fr/HIPE-data-v0.9-train-fr.tsv", "hipe2020-fr/HIPE-data-v1.4-dev-fr.tsv"),
                 {"prod": None}),
    PublicCorpus("finer-ord", "finer", ("finer-ord/train.csv", "finer-ord/val.csv")),
)  # fmt: skip


@dataclass
class PublicImport:
    name: str
    status: str  # "imported", "up to date" or "absent"
    output: Path
    rows: dict[str, int] = field(default_factory=dict)
    excluded: int = 0  # documents left out as articles of our corpus
    missing: list[str] = field(default_factory=list)  # the absent files, when status is "absent"


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def shipped_articles(dataset: Path) -> tuple[set[str], set[str]]:
    """(article ids, compacted long sentences) of every split of a dataset folder: what an import leaves out."""
    from toolkit.dataset import load_dataset

    ids: set[str] = set()
    sentences: set[str] = set()
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    for task in manifest["tasks"]:
        splits, _ = load_dataset(dataset, task)
        for split in splits.values():
            ids.update(split["article_id"])
            sentences.update(
                compact for text in split["text"] if len(compact := _compact(text)) >= MIN_SHARED_SENTENCE
            )
    return ids, sentences


def _excluder(dataset: Path) -> Callable[[Document], bool]:
    ids, sentences = shipped_articles(dataset)

    def shipped(document: Document) -> bool:
        # A WiNER id is "<file name>:<month folder>/<file stem>"; our articles are named by the file stem.
        if document.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1] in ids:
            return True
        shared = sum(_compact(" ".join(sentence.tokens)) in sentences for sentence in document.sentences)
        return 2 * shared >= len(document.sentences) > 0

    return shipped


def _recipe(corpus: PublicCorpus, paths: list[Path], shared: Path, exclude: Path | None) -> dict[str, Any]:
    from toolkit.dataset.importers import _digest

    recipe: dict[str, Any] = {
        "version": RECIPE_VERSION,
        "format": corpus.format,
        "files": {str(path.relative_to(shared)): _digest(path) for path in paths},
        "label_map": corpus.label_map,
        "options": corpus.options,
        "seed": SEED,
    }
    if corpus.exclude_shipped and exclude is not None:
        # The dataset's content hash versions the articles to leave out.
        manifest = json.loads((exclude / "manifest.json").read_text(encoding="utf-8"))
        recipe["exclude"] = manifest["content_hash"]
    return recipe


def import_public(
    shared: Path,
    output: Path,
    *,
    exclude: Path | None = None,
    corpora: tuple[PublicCorpus, ...] = PUBLIC,
    force: bool = False,
) -> list[PublicImport]:
    """Import each public corpus present under `shared` into `output/<name>`; see the module docstring."""
    from toolkit.dataset.importers import import_corpus
    from toolkit.errors import ToolkitError

    if exclude is not None and not (exclude / "manifest.json").is_file():
        raise ToolkitError(f"{exclude}: not a toolkit dataset (no manifest.json); build it first")
    results = []
    excluder = None
    for corpus in corpora:
        target = output / corpus.name
        paths = [shared / file for file in corpus.files]
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            results.append(PublicImport(corpus.name, "absent", target, missing=missing))
            continue
        recipe = _recipe(corpus, paths, shared, exclude)
        stamp = target / RECIPE
        if not force and stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == recipe:
            manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
            report = manifest["report"]
            rows = next(iter(manifest["tasks"].values()))["rows"]
            results.append(
                PublicImport(corpus.name, "up to date", target, rows, report.get("documents_excluded", 0))
            )
            continue
        if corpus.exclude_shipped and exclude is not None and excluder is None:
            excluder = _excluder(exclude)
        result = import_corpus(
            corpus.format,
            paths,
            target,
            label_map=corpus.label_map,
            seed=SEED,
            exclude=excluder if corpus.exclude_shipped else None,
            **corpus.options,
        )
        stamp.write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
        results.append(
            PublicImport(
                corpus.name, "imported", target, result.rows, result.report.get("documents_excluded", 0)
            )
        )
    return results
