"""`toolkit dataset ...`: build a DatasetDict from Label Studio exports, or import a public corpus."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli._util import Command, Group, example
from toolkit.dataset.importers import FORMATS
from toolkit.project import DATA, PUBLIC_DATA, SCHEMA, SEED, SHARED_DATA

# The formats `dataset import` reads, as a click choice: a typo is a usage error, before anything is read.
ImportFormat = StrEnum("format", {name: name for name in FORMATS})

app = typer.Typer(
    cls=Group, help="Build datasets from annotation exports or public corpora.", no_args_is_help=True
)


@app.command(
    "build",
    cls=Command,
    epilog=example(
        "toolkit dataset build --output data/corpus",
        "toolkit dataset build annotations/exports/news-claims/2026-11-30T004513Z.json -o data/news",
    ),
)
def build(
    exports: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Label Studio JSON exports; default: the newest snapshot of each project annotations/training.toml lists.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Dataset directory to write.")] = DATA,
    schema: Annotated[Path, typer.Option(help="The label schema.")] = SCHEMA,
    seed: Annotated[int, typer.Option(help="Seed of the train/validation/test split by article.")] = SEED,
    validation: Annotated[
        float, typer.Option(help="Share of articles for validation.", min=0.0, max=0.5)
    ] = 0.15,
    test: Annotated[float, typer.Option(help="Share of articles for test.", min=0.0, max=0.5)] = 0.15,
) -> None:
    """Turn annotation exports into claims and entities datasets, split by article, with a content hash."""
    from toolkit.dataset import build_dataset

    result = build_dataset(
        exports or (),
        output,
        schema_path=schema,
        seed=seed,
        validation_fraction=validation,
        test_fraction=test,
    )
    manifest = result.manifest
    typer.echo(f"dataset {manifest.version} written to {result.output} (sha256 {manifest.content_hash})")
    typer.echo(f"  from: {', '.join(source['path'] for source in manifest.sources)}")
    typer.echo(
        f"  annotations: {result.report.summary()}, {result.duplicate_annotations} second annotations not used"
    )
    built = [
        f"{result.counts[name]} {text}" for name, text in _BUILD_COUNTS.items() if result.counts.get(name)
    ]
    if built:
        typer.echo(f"  sentences: {', '.join(built)}")
    for task, info in manifest.tasks.items():
        rows = ", ".join(f"{split} {count}" for split, count in info["rows"].items())
        typer.echo(f"  {task}: {rows} rows")


# What turning annotations into sentence rows resolved or dropped (manifest.json keeps the same counts).
_BUILD_COUNTS = {
    "sentences_with_competing_claims": "with claims of different statuses (the claim covering most of it wins)",
    "entities_across_sentences": "entities crossing a sentence boundary dropped",
    "entities_not_aligned": "entities off token boundaries dropped",
}


@app.command(
    "import",
    cls=Command,
    epilog=example(
        "toolkit dataset import --format conll2003 eng.train eng.testa eng.testb --output data/conll",
        "toolkit dataset import --format brat WiNER-fr/ --lang fr --label-map pers=PER -o data/winer",
    ),
)
def import_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Corpus files, one per split when the corpus has splits (folders for brat).",
            exists=True,
            metavar="PATH",
            show_default=False,
        ),
    ],
    format: Annotated[
        ImportFormat,
        typer.Option(
            "--format",
            "-f",
            help=f"The corpus format: {', '.join(FORMATS)} (sentences: sentence-label JSONL or CSV).",
            show_default=False,
            show_choices=False,
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Dataset directory to write.")],
    label_map: Annotated[
        str | None,
        typer.Option(
            help="Rename or drop types, over the format's defaults: pers=PER,time=DATE,prod= (drop)."
        ),
    ] = None,
    split_names: Annotated[
        str | None,
        typer.Option(
            help="Which file is which split: train=eng.train,validation=eng.testa (default: by name)."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the split by document when the files have no split.")
    ] = SEED,
    validation: Annotated[
        float, typer.Option(help="Share of documents for validation (split by document).", min=0.0, max=0.5)
    ] = 0.15,
    test: Annotated[
        float, typer.Option(help="Share of documents for test (split by document).", min=0.0, max=0.5)
    ] = 0.15,
    lang: Annotated[
        str | None, typer.Option(help="Language of every text, instead of what the format or the file says.")
    ] = None,
) -> None:
    """Import a public corpus (CoNLL, HIPE, FiNER-ORD, BRAT, sentence labels, Szeged/BioScope) as a toolkit dataset."""
    from toolkit.dataset.importers import import_corpus, parse_label_map, parse_split_names

    result = import_corpus(
        format.value,
        paths,
        output,
        label_map=parse_label_map(label_map),
        seed=seed,
        split_names=parse_split_names(split_names),
        validation_fraction=validation,
        test_fraction=test,
        lang=lang,
    )
    manifest = result.manifest
    typer.echo(f"dataset {manifest.version} written to {result.output} (sha256 {manifest.content_hash})")
    rows = ", ".join(f"{split} {count}" for split, count in result.rows.items() if count)
    typer.echo(f"  {result.task}: {rows} rows; labels {', '.join(manifest.tasks[result.task]['labels'])}")
    if result.report.get("label_map_unused"):
        typer.echo(
            f"  warning: --label-map names labels not in the corpus: {', '.join(result.report['label_map_unused'])}"
        )


@app.command(
    "public-claims",
    cls=Command,
    epilog=example(
        "toolkit dataset public-claims --shared ../shared/data --corpus data/corpus -o data/public"
    ),
)
def public_claims(
    shared: Annotated[Path, typer.Option(help="Folder of the public corpora.")] = Path("../shared/data"),
    corpus: Annotated[
        Path, typer.Option(help="The shipped dataset: its validation and test sentences are left out.")
    ] = DATA,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder of the datasets to write.")] = Path(
        "data/public"
    ),
    force: Annotated[bool, typer.Option(help="Rewrite datasets that are up to date.")] = False,
) -> None:
    """Weakly labelled claims datasets (Szeged, MEANTIME, PolNeAR, NewsSD) for `[[data.sources]]`."""
    from toolkit.dataset.public_claims import build_public_claims

    result = build_public_claims(shared, corpus, output, force=force)
    for name, rows in result.written.items():
        excluded = result.excluded[name]
        typer.echo(
            f"{output / name}: {', '.join(f'{split} {count}' for split, count in rows.items())} rows"
            f" ({excluded['documents']} articles, {excluded['sentences']} sentences of {corpus}'s"
            " validation/test left out)"
        )
    for name in result.up_to_date:
        typer.echo(f"{output / name}: up to date")
    for name, missing in result.skipped.items():
        typer.echo(f"{name}: skipped, {missing} is absent")


@app.command(
    "import-public",
    cls=Command,
    epilog=example(
        "toolkit dataset import-public",
        "toolkit dataset import-public --shared ../shared/data --output data/public --exclude data/corpus",
    ),
)
def import_public_command(
    shared: Annotated[
        Path, typer.Option(help="Folder of the public corpora (absent corpora are skipped).")
    ] = SHARED_DATA,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder of the imported datasets.")
    ] = PUBLIC_DATA,
    exclude: Annotated[
        Path,
        typer.Option(
            help="Our dataset: its articles are left out of WiNER-fr.", exists=True, file_okay=False
        ),
    ] = DATA,
    force: Annotated[bool, typer.Option(help="Import again even when up to date.")] = False,
) -> None:
    """Import the public entity corpora present (WiNER-fr, CoNLL-2003, Europeana, HIPE-2020, FiNER-ORD), mapped to our types."""
    from toolkit.dataset.public import import_public

    for result in import_public(shared, output, exclude=exclude, force=force):
        if result.status == "absent":
            typer.echo(f"{result.name}: absent ({', '.join(result.missing)}), skipped")
            continue
        rows = ", ".join(f"{split} {count}" for split, count in result.rows.items() if count)
        excluded = f"; {result.excluded} of our articles left out" if result.excluded else ""
        typer.echo(f"{result.name}: {result.status} in {result.output} ({rows} rows{excluded})")
