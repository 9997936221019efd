"""`toolkit dataset import-public`: the public entity corpora present, mapped to our types, without our articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_exports import ROOT, SHARED
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import load_dataset, write_dataset
from toolkit.dataset.public import PUBLIC, import_public

FIRST = "Anna Berg a rencontré la banque Nordbank à Oslo le 3 mars dernier ."
SECOND = "Elle y est restée avec ses collègues jusqu' à 18 heures ."
WINER_ENTITIES = [("Person", "Anna Berg"), ("Organization", "Nordbank"), ("Location", "Oslo"), ("Date", "3 mars"),
                  ("Hour", "18 heures")]  # fmt: skip


def write_shared(root: Path) -> Path:
    """WiNER (three articles: one is ours, one is ours under another name), CoNLL and HIPE in miniature."""
    month = root / "winer-fr" / "2016" / "01"
    month.mkdir(parents=True)
    for stem in ("2016_01_01-001", "2016_01_02-001"):
        text = f"Titre {stem}\n{FIRST} {SECOND}\n"
        (month / f"{stem}.txt").write_text(text)
        lines = [
            f"T{n}\t{kind} {text.index(surface)} {text.index(surface) + len(surface)}\t{surface}"
            for n, (kind, surface) in enumerate(WINER_ENTITIES, 1)
        ]
        (month / f"{stem}.ann").write_text("\n".join(lines) + "\n")
    (month / "2016_01_03-001.txt").write_text(
        "Autre titre\nUn tout autre article sur la pluie et le beau temps .\n"
    )
    (month / "2016_01_03-001.ann").write_text("")
    conll = root / "conll2003-en"
    conll.mkdir()
    sentence = "-DOCSTART- -X- O O\n\nAnna NNP B-NP I-PER\nvisited VBD B-VP O\nGerman JJ B-NP I-MISC\nOslo NNP B-NP I-LOC\n\n"
    (conll / "eng.train").write_text(sentence * 3)
    (conll / "eng.testa").write_text(sentence)
    hipe = root / "hipe2020-fr"
    hipe.mkdir()
    header = "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\tNE-NESTED\tNEL-LIT\tNEL-METO\tMISC\n"
    rows = [("Paris", "B-loc"), ("lundi", "B-time"), ("Figaro", "B-prod"), ("Zola", "B-pers"), (".", "O")]
    body = "".join(
        f"{t}\t{tag}\tO\t_\t_\t_\t_\t_\t_\t{'EndOfSentence' if t == '.' else '_'}\n" for t, tag in rows
    )
    for name in ("HIPE-data-v0.9-train-fr.tsv", "HIPE-data-v1.4-dev-fr.tsv"):
        (hipe / name).write_text(header + "# document_id = d1\n" + body)
    return root


def row(article: str, text: str) -> dict:
    tokens, starts = text.split(), []
    for token in tokens:
        starts.append(text.index(token, starts[-1] + 1 if starts else 0))
    return {"id": f"{article}:0", "article_id": article, "lang": "fr", "text": text, "start": 0, "tokens": tokens,
            "starts": starts, "ends": [s + len(t) for s, t in zip(starts, tokens, strict=True)],
            "tags": ["O"] * len(tokens)}  # fmt: skip


def our_corpus(path: Path) -> Path:
    """A dataset whose articles are WiNER's 2016_01_01-001 and another holding the sentences of 2016_01_02-001."""
    tables = {
        "entities": {
            "train": [row("2016_01_01-001", FIRST)],
            "validation": [row("x", FIRST), row("x", SECOND)],
        }
    }
    write_dataset(path, tables, {"entities": ["O"]}, sources=[], seed=13)
    return path


def articles(path: Path) -> set[str]:
    dataset, _ = load_dataset(path, "entities")
    return {article.rsplit("/", 1)[-1] for split in dataset.values() for article in split["article_id"]}


def test_our_articles_are_left_out_of_winer_and_types_are_mapped(tmp_path):
    shared = write_shared(tmp_path / "shared")
    results = {
        r.name: r for r in import_public(shared, tmp_path / "public", exclude=our_corpus(tmp_path / "ours"))
    }
    # Ours by id, and 2016_01_02-001 because both its sentences are ours word for word; 2016_01_03-001 stays.
    assert results["winer-fr"].status == "imported" and results["winer-fr"].excluded == 2
    assert articles(tmp_path / "public" / "winer-fr") == {"2016_01_03-001"}
    assert {r.name for r in results.values() if r.status == "absent"} == {"europeana-ner-fr", "finer-ord"}
    assert results["finer-ord"].missing == [
        str(shared / "finer-ord" / "train.csv"),
        str(shared / "finer-ord" / "val.csv"),
    ]
    labels = {
        name: json.loads((tmp_path / "public" / name / "manifest.json").read_text())["tasks"]["entities"][
            "labels"
        ]
        for name in ("conll2003-en", "hipe2020-fr")
    }
    assert labels["conll2003-en"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]  # MISC dropped
    assert labels["hipe2020-fr"] == [
        "O",
        *(f"{p}-{t}" for t in ("DATE", "LOC", "PER") for p in "BI"),
    ]  # prod dropped
    # Each corpus's own splits: CoNLL's testa is its validation.
    assert results["conll2003-en"].rows == {"train": 3, "validation": 1, "test": 0}


def test_winer_keeps_every_article_without_an_exclusion_and_drops_hour(tmp_path):
    shared = write_shared(tmp_path / "shared")
    winer = [corpus for corpus in PUBLIC if corpus.name == "winer-fr"]
    (result,) = import_public(shared, tmp_path / "public", corpora=tuple(winer))
    assert result.excluded == 0 and len(articles(tmp_path / "public" / "winer-fr")) == 3
    manifest = json.loads((tmp_path / "public" / "winer-fr" / "manifest.json").read_text())
    counts = manifest["tasks"]["entities"]["label_counts"]
    assert {kind for split in counts.values() for kind in split} == {"PER", "ORG", "LOC", "DATE"}  # no Hour


def test_a_second_import_is_skipped_until_an_input_or_the_exclusion_changes(tmp_path):
    shared = write_shared(tmp_path / "shared")
    ours = our_corpus(tmp_path / "ours")
    import_public(shared, tmp_path / "public", exclude=ours)
    manifest = tmp_path / "public" / "conll2003-en" / "manifest.json"
    built = manifest.read_text()
    again = {r.name: r.status for r in import_public(shared, tmp_path / "public", exclude=ours)}
    assert again == {"winer-fr": "up to date", "conll2003-en": "up to date", "hipe2020-fr": "up to date",
                     "europeana-ner-fr": "absent", "finer-ord": "absent"}  # fmt: skip
    assert manifest.read_text() == built
    (shared / "conll2003-en" / "eng.testa").write_text((shared / "conll2003-en" / "eng.train").read_text())
    changed = {r.name: r.status for r in import_public(shared, tmp_path / "public", exclude=ours)}
    assert changed["conll2003-en"] == "imported" and changed["winer-fr"] == "up to date"
    # Our corpus changed (its content hash with it): WiNER's exclusion is redone.
    write_dataset(
        ours,
        {"entities": {"train": [], "validation": [], "test": []}},
        {"entities": ["O"]},
        sources=[],
        seed=1,
    )
    changed = {r.name: r.status for r in import_public(shared, tmp_path / "public", exclude=ours)}
    assert changed["winer-fr"] == "imported" and changed["hipe2020-fr"] == "up to date"
    forced = import_public(shared, tmp_path / "public", exclude=ours, force=True)
    assert {r.status for r in forced} == {"imported", "absent"}


def test_the_command_says_what_it_imported_and_skipped(tmp_path):
    shared = write_shared(tmp_path / "shared")
    ours = our_corpus(tmp_path / "ours")
    command = [
        "dataset",
        "import-public",
        "--shared",
        str(shared),
        "-o",
        str(tmp_path / "p"),
        "--exclude",
        str(ours),
    ]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("winer-fr: imported in") and "2 of our articles left out" in lines[0]
    assert lines[2].startswith("europeana-ner-fr: absent (") and lines[2].endswith("skipped")
    again = CliRunner().invoke(app, command)
    assert "conll2003-en: up to date" in again.output
    missing = CliRunner().invoke(app, [*command[:-1], str(tmp_path / "nowhere")])
    assert missing.exit_code != 0


DATA = SHARED / "data"


@pytest.mark.corpus
@pytest.mark.skipif(not (DATA / "winer-fr").is_dir(), reason="../shared/data/winer-fr is absent")
def test_the_real_corpora_import_without_our_articles(tmp_path):
    from toolkit.dataset import build_dataset, training_snapshots

    ours = tmp_path / "corpus"
    build_dataset(
        training_snapshots(ROOT / "annotations" / "training.toml"),
        ours,
        schema_path=ROOT / "annotations" / "schema.toml",
    )
    shipped = {
        line.split()[-1].rsplit("/", 1)[-1].removesuffix(".txt")
        for work in (ROOT / "annotations" / "wikinews" / "fr").glob("*.txt")
        for line in work.read_text().splitlines()[:4]
        if line.startswith("source: winer-fr")
    }
    results = {r.name: r for r in import_public(DATA, tmp_path / "public", exclude=ours)}
    assert results["winer-fr"].excluded >= len(shipped) > 100
    assert not articles(tmp_path / "public" / "winer-fr") & shipped
    for result in results.values():
        if result.status == "absent":
            continue
        assert result.rows["train"] > 1000 and result.rows["validation"] > 100
        labels = json.loads((result.output / "manifest.json").read_text())["tasks"]["entities"]["labels"]
        assert {label[2:] for label in labels if label != "O"} <= {"PER", "ORG", "LOC", "DATE"}


def test_the_multi_corpus_experiment_trains_on_what_import_public_writes():
    """A typo in a source's path would silently skip that corpus (absent sources are skipped)."""
    from toolkit.project import PUBLIC_DATA
    from toolkit.training.experiments import load_experiment

    experiment = load_experiment(ROOT / "experiments" / "entities-multi.toml")
    assert {source.name: source.path for source in experiment.sources} == {
        corpus.name: PUBLIC_DATA / corpus.name for corpus in PUBLIC
    }
