"""`toolkit dataset import --format brat`: BRAT standoff folders, on fixtures written here and on real WiNER-fr."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_exports import SHARED
from test_formats import rows_of
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.importers import import_corpus
from toolkit.errors import ToolkitError

runner = CliRunner()

# "Airbus" (ORG) sits inside "usine Airbus de Toulouse" (Product, dropped): the outermost span wins.
# Spans are (type, surface, which occurrence); offsets are computed so the fixture stays readable.
ARTICLES = {
    "2016/01/2016_01_04-001": (
        "Emmanuel Macron visite Toulouse\n\nEmmanuel Macron a visité l'usine Airbus de Toulouse le 4 janvier 2016 "
        "à 10h. Le ministre a rencontré des salariés.",
        [
            ("Person", "Emmanuel Macron", 0),
            ("Location", "Toulouse", 0),
            ("Person", "Emmanuel Macron", 1),
            ("Product", "usine Airbus de Toulouse", 0),
            ("Organization", "Airbus", 0),
            ("Location", "Toulouse", 1),
            ("Date", "4 janvier 2016", 0),
            ("Hour", "10h", 0),
        ],
    ),
    "2016/02/2016_02_10-002": (
        "La Banque de France publie ses prévisions.\nLa Banque de France prévoit une croissance de 1,4 %.",
        [
            ("Organization", "Banque de France", 0),
            ("Location", "France", 0),
            ("Organization", "Banque de France", 1),
        ],
    ),
    "2017/03/2017_03_01-001": (
        "Angela Merkel et François Hollande se sont rencontrés à Berlin.",
        [("Person", "Angela Merkel", 0), ("Location", "Berlin", 0)],
    ),
}


def offsets(text: str, surface: str, occurrence: int) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return start, start + len(surface)


def write_brat(root: Path, articles: dict = ARTICLES) -> Path:
    for name, (text, spans) in articles.items():
        path = root / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        lines = []
        for number, (kind, surface, occurrence) in enumerate(spans, 1):
            start, end = offsets(text, surface, occurrence)
            lines.append(f"T{number}\t{kind} {start} {end}\t{surface}")
        path.with_suffix(".ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def entities(rows: list[dict]) -> list[tuple[str, str]]:
    found = []
    for row in rows:
        for token, tag in zip(row["tokens"], row["tags"], strict=True):
            if tag.startswith("B-"):
                found.append([tag[2:], token])
            elif tag.startswith("I-"):
                found[-1][1] += " " + token
    return [tuple(entity) for entity in found]


def test_nested_month_folders_outermost_span_and_winer_type_map(tmp_path):
    folder = write_brat(tmp_path / "winer")
    result = import_corpus(
        "brat", [folder], tmp_path / "d", validation_fraction=0.0, test_fraction=0.0, lang="fr"
    )
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert {row["article_id"] for row in rows} == {f"winer:{name}" for name in ARTICLES}
    found = entities(rows)
    # Title and body both read; Product (dropped) hides the Organization and Location inside it; Hour dropped.
    assert ("PER", "Emmanuel Macron") in found and ("DATE", "4 janvier 2016") in found
    assert ("ORG", "Airbus") not in found and not any(label == "Hour" for label, _ in found)
    assert found.count(("ORG", "Banque de France")) == 2 and ("LOC", "France") not in found
    report = result.report["files"][str(folder)]
    assert report["documents"] == 3 and report["nested_dropped"] == 3
    assert result.report["entities_dropped.Product"] == 1 and result.report["entities_dropped.Hour"] == 1
    assert result.manifest.tasks["entities"]["labels"] == [
        "O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"
    ]  # fmt: skip


def test_a_label_map_keeps_a_dropped_type_and_renames_another(tmp_path):
    folder = write_brat(tmp_path / "winer")
    import_corpus("brat", [folder], tmp_path / "d", label_map={"Hour": "TIME", "Person": "PERSON"}, lang="fr",
                  validation_fraction=0.0, test_fraction=0.0)  # fmt: skip
    found = entities(rows_of(tmp_path / "d", "entities")["train"])
    assert ("TIME", "10 h") in found  # the tokenizer cuts "10h" and ("PERSON", "Angela Merkel") in found


def test_split_by_article_and_same_hash_for_the_same_input(tmp_path):
    articles = {
        f"2016/01/a{i:03d}": (f"Jean Dupont {i} est allé à Paris.", [("Person", "Jean Dupont", 0)])
        for i in range(40)
    }
    folder = write_brat(tmp_path / "many", articles)
    first = import_corpus("brat", [folder], tmp_path / "d1", lang="fr")
    second = import_corpus("brat", [folder], tmp_path / "d2", lang="fr")
    rows = rows_of(tmp_path / "d1", "entities")
    by_split = {split: {row["article_id"] for row in split_rows} for split, split_rows in rows.items()}
    assert all(by_split.values()) and not (by_split["train"] & by_split["test"])
    assert first.manifest.content_hash == second.manifest.content_hash


def test_discontinuous_span_is_joined_and_counted_and_a_multiline_span_text_is_read(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    text = "Le Crédit\nAgricole et la Société Générale ont publié leurs résultats."
    (folder / "doc.txt").write_text(text, encoding="utf-8")
    (folder / "doc.ann").write_text(
        "T1\tOrganization 3 9;10 18\tCrédit Agricole\nT2\tOrganization 25 41\tSociété Générale\n"
        "T3\tOrganization 3 18\tCrédit\nAgricole\n#1\tAnnotatorNotes T1\tbank\n",
        encoding="utf-8",
    )
    result = import_corpus(
        "brat", [folder], tmp_path / "d", validation_fraction=0.0, test_fraction=0.0, lang="fr"
    )
    report = result.report["files"][str(folder)]
    assert (
        report["discontinuous_joined"] == 1
        and report["nested_dropped"] == 1
        and report["lines_skipped.#"] == 1
    )
    assert ("ORG", "Crédit Agricole") in entities(rows_of(tmp_path / "d", "entities")["train"])


def test_polnear_layout_pairs_attributions_with_texts_and_skips_other_annotators(tmp_path):
    root = tmp_path / "polnear" / "train"
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    text = "The senator said the bill would pass."
    (root / "text" / "article-one.txt").write_text(text, encoding="utf-8")
    for annotator in ("aaa1", "bbb2"):
        (root / "attributions" / f"article-one_{annotator}.ann").write_text(
            "T1\tSource 0 11\tThe senator\nT2\tCue 12 16\tsaid\nE1\tAttribution:T2 Source:T1\n",
            encoding="utf-8",
        )
    result = import_corpus("brat", [root], tmp_path / "d", lang="en")
    report = result.report["files"][str(root)]
    assert (
        report["documents"] == 1
        and report["other_annotators_skipped"] == 1
        and report["lines_skipped.E"] == 1
    )
    assert result.report["split_by"] == "file"  # the folder is named train
    assert ("Source", "The senator") in entities(rows_of(tmp_path / "d", "entities")["train"])


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        ("T1\tPerson 0\tJean\n", r"doc\.ann:1: expected 'T<n><TAB>Type START END<TAB>text'"),
        ("T1\tPerson 0 4\tJean\nT2\tPerson 30 99\tx\n", r"doc\.ann:2: offsets \[30, 99\) out of range"),
        (
            "T1\tPerson 0 4\tPaul\n",
            r"doc\.ann:1: span text 'Paul' does not match the text at \[0, 4\): 'Jean'",
        ),
    ],
)
def test_bad_annotation_lines_are_one_line_errors_naming_file_and_line(tmp_path, ann, message):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "doc.txt").write_text("Jean est à Paris.", encoding="utf-8")
    (folder / "doc.ann").write_text(ann, encoding="utf-8")
    with pytest.raises(ToolkitError, match=message):
        import_corpus("brat", [folder], tmp_path / "d", lang="fr")
    assert not (tmp_path / "d").exists()


def test_cli_imports_a_folder_and_refuses_one_without_ann_files(tmp_path):
    folder = write_brat(tmp_path / "winer")
    result = runner.invoke(
        app, ["dataset", "import", "--format", "brat", str(folder), "--output", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "entities:" in result.output and "B-PER" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(
        app, ["dataset", "import", "--format", "brat", str(empty), "--output", str(tmp_path / "e")]
    )
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        f"error: {empty}: no .ann file found (is it a BRAT folder?)"
    ]


WINER = SHARED / "data" / "winer-fr"


@pytest.mark.corpus
@pytest.mark.skipif(not WINER.is_dir(), reason="../shared/data/winer-fr is absent")
def test_real_winer_fr_imports_every_article_with_its_entities(tmp_path):
    result = import_corpus("brat", [WINER], tmp_path / "d")
    report = result.report["files"][str(WINER)]
    # SOURCE.md: 964 articles, 16,621 annotations (one discontinuous); nested ones keep the outermost.
    assert report["documents"] == 964
    assert report["entities_read"] + report["nested_dropped"] == 16621
    assert report["entities_not_aligned"] == 0
    articles = result.manifest.tasks["entities"]["articles"]
    assert sum(articles.values()) == 964 and min(articles.values()) > 100
    rows = rows_of(tmp_path / "d", "entities")
    assert {row["lang"] for split in rows.values() for row in split} == {"fr"}
    counts = result.manifest.tasks["entities"]["label_counts"]["train"]
    assert set(counts) == {"PER", "ORG", "LOC", "DATE"} and min(counts.values()) > 1000
