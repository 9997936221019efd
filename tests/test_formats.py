"""Readers of public corpus formats and `toolkit dataset import`, on fixtures we wrote and on the real files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sample_exports import ROOT, SHARED
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import load_dataset
from toolkit.dataset.importers import import_corpus, parse_label_map, parse_split_names, split_of_name
from toolkit.dataset.importers.common import MAX_SENTENCE_TOKENS, sentence_ends
from toolkit.errors import ToolkitError

FIXTURES = ROOT / "tests" / "fixtures" / "formats"
DATA = SHARED / "data"
runner = CliRunner()


def rows_of(output: Path, task: str) -> dict[str, list[dict]]:
    """Every split's rows with label ids turned back into names."""
    dataset, _ = load_dataset(output, task)
    result = {}
    for split in dataset:
        if task == "entities":
            names = dataset[split].features["tags"].feature.names
            result[split] = [{**row, "tags": [names[t] for t in row["tags"]]} for row in dataset[split]]
        else:
            names = dataset[split].features["label"].names
            result[split] = [{**row, "label": names[row["label"]]} for row in dataset[split]]
    return result


def check_offsets(rows: list[dict]) -> None:
    for row in rows:
        assert row["text"] == " ".join(row["tokens"]) and row["start"] == 0
        for token, start, end in zip(row["tokens"], row["starts"], row["ends"], strict=True):
            assert row["text"][start:end] == token


# ---- CoNLL ------------------------------------------------------------------------------------------------


def test_conll2003_iob1_becomes_iob2_with_documents_and_splits_from_file_names(tmp_path):
    result = import_corpus("conll2003", [FIXTURES / "tiny.train", FIXTURES / "tiny.testa"], tmp_path / "d")
    rows = rows_of(tmp_path / "d", "entities")
    assert set(rows) == {"train", "validation"} and result.rows == {"train": 4, "validation": 1, "test": 0}
    first, merger = rows["train"][0], rows["train"][1]
    assert first["tags"] == ["B-ORG", "I-ORG", "O", "B-PER", "I-PER", "O", "B-LOC", "O"]
    assert merger["tokens"][:2] == ["Globex", "Initech"] and merger["tags"][:2] == ["B-ORG", "B-ORG"]
    assert rows["train"][3]["tags"][3:5] == ["B-MISC", "I-MISC"]  # MISC stays MISC
    assert [row["article_id"] for row in rows["train"]] == ["tiny.train:0001"] * 2 + ["tiny.train:0002"] * 2
    assert {row["lang"] for row in rows["train"]} == {"en"}
    check_offsets(rows["train"] + rows["validation"])
    labels = result.manifest.tasks["entities"]["labels"]
    assert labels == ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert result.report["split_by"] == "file" and result.report["tags_repaired"] == 9
    sources = {Path(source["path"]).name: source["split"] for source in result.manifest.sources}
    assert sources == {"tiny.train": "train", "tiny.testa": "validation"}


def test_same_files_same_content_hash_and_the_layout_train_reads(tmp_path):
    from toolkit.tasks import TASKS

    paths = [FIXTURES / "tiny.train", FIXTURES / "tiny.testa"]
    first = import_corpus("conll2003", paths, tmp_path / "a").manifest
    again = import_corpus("conll2003", paths, tmp_path / "b").manifest
    assert first.content_hash == again.content_hash
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["content_hash"] == first.content_hash and manifest["report"]["format"] == "conll2003"
    dataset, _ = load_dataset(tmp_path / "a", "entities")
    X, y = TASKS["entities"].xy(dataset["train"])
    assert X[0][:2] == ["Acme", "Corp"] and y[0][:2] == ["B-ORG", "I-ORG"]


def test_tab_separated_iob2_without_documents_makes_blocks(tmp_path):
    result = import_corpus(
        "conll", [FIXTURES / "iob2.conll"], tmp_path / "d", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert rows[0]["tokens"] == ["Marie", "Curie", "visited", "New York", "."]
    assert rows[2]["tags"] == ["B-ORG", "B-LOC"]
    assert {row["article_id"] for row in rows} == {"iob2:b0001"}
    assert result.report["files"][str(FIXTURES / "iob2.conll")]["documents_are_blocks_of_sentences"] == 1
    check_offsets(rows)


def test_europeana_without_boundaries_is_cut_into_sentences_never_inside_an_entity(tmp_path):
    import_corpus(
        "europeana", [FIXTURES / "ouest.bio"], tmp_path / "d", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert [row["text"] for row in rows] == [
        "Le maire de Rennes , M . Dupont , est parti .",
        "La Compagnie de l'Ouest annonce des travaux !",
        "« Paris » attend .",
    ]
    assert rows[0]["tags"][5:8] == ["B-PER", "I-PER", "I-PER"] and rows[0]["lang"] == "fr"
    assert rows[1]["tags"][1:4] == ["B-ORG", "I-ORG", "I-ORG"]


def test_a_run_without_any_boundary_is_cut_at_the_length_limit_outside_entities():
    tokens = ["word"] * (MAX_SENTENCE_TOKENS + 10)
    tags = ["O"] * len(tokens)
    tags[MAX_SENTENCE_TOKENS - 1 : MAX_SENTENCE_TOKENS + 2] = ["I-ORG"] * 3
    ends = sentence_ends(tokens, tags)
    assert ends == [MAX_SENTENCE_TOKENS - 1, len(tokens)]


# ---- HIPE -------------------------------------------------------------------------------------------------


def test_hipe_coarse_labels_documents_languages_and_sentence_marks(tmp_path):
    result = import_corpus("hipe", [FIXTURES / "hipe-train-fr.tsv"], tmp_path / "d")
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert [row["text"] for row in rows] == [
        "Le conseil de Genève .",
        "Mme Lucie Blanc lit le Journal du soir en 1900 .",
        "Die Bank schliesst .",
        "Bern wartet .",
    ]
    assert rows[1]["tags"] == [
        "B-PER",
        "I-PER",
        "I-PER",
        "O",
        "O",
        "B-PROD",
        "I-PROD",
        "I-PROD",
        "O",
        "B-DATE",
        "O",
    ]
    assert [row["article_id"] for row in rows][1:3] == [
        "hipe-train-fr:XYZ-1901-02-03-a-i0001",
        "hipe-train-fr:XYZ-1901-02-04-a-i0002",
    ]
    assert [row["lang"] for row in rows] == ["fr", "fr", "de", "de"]
    assert result.report["files"][str(FIXTURES / "hipe-train-fr.tsv")]["documents_split_heuristically"] == 1
    check_offsets(rows)


def test_a_label_map_renames_and_drops_types(tmp_path):
    result = import_corpus(
        "hipe",
        [FIXTURES / "hipe-train-fr.tsv"],
        tmp_path / "d",
        label_map=parse_label_map("prod=,pers=PERSON"),
    )
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert rows[1]["tags"][:8] == ["B-PERSON", "I-PERSON", "I-PERSON", "O", "O", "O", "O", "O"]
    assert result.manifest.tasks["entities"]["labels"] == [
        "O", "B-DATE", "I-DATE", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PERSON", "I-PERSON",
    ]  # fmt: skip
    assert result.report["entities_dropped.prod"] == 1


# ---- FiNER-ORD --------------------------------------------------------------------------------------------


def test_finer_label_ids_quoted_tokens_documents_and_sentences(tmp_path):
    import_corpus("finer", [FIXTURES / "finer-train.csv"], tmp_path / "d")
    rows = rows_of(tmp_path / "d", "entities")["train"]
    assert rows[0]["tokens"][:5] == ["Acme", "Bank", "cut", "rates", ","]
    assert rows[0]["tags"] == ["B-ORG", "I-ORG", "O", "O", "O", "O", "B-PER", "I-PER", "O"]
    assert rows[1]["tags"][3] == "B-LOC"
    assert rows[2]["tags"][0] == "B-PER"  # an I- that starts a sentence is repaired
    assert [row["article_id"] for row in rows] == ["finer-train:0", "finer-train:0", "finer-train:1"]


# ---- sentence labels and uncertainty XML ------------------------------------------------------------------


def test_sentence_labels_from_jsonl_and_csv(tmp_path):
    import_corpus(
        "sentences", [FIXTURES / "claims.jsonl"], tmp_path / "j", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "j", "claims")["train"]
    assert [(row["article_id"], row["label"], row["lang"]) for row in rows] == [
        ("a1", "SPECULATIVE", "en"),
        ("a1", "FACT", "en"),
        ("a2", "FORECAST", "fr"),
        ("a3", "REPORTED", ""),
    ]
    assert rows[3]["text"] == "Revenue fell, it said."
    assert (rows[1]["start"], rows[1]["end"]) == (
        21,
        36,
    )  # offsets in the document: sentences joined by a space
    import_corpus(
        "sentences", [FIXTURES / "claims.csv"], tmp_path / "c", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "c", "claims")["train"]
    assert rows[0]["text"] == "Acme may buy Globex, sources said." and rows[0]["article_id"] == "d1"
    array = tmp_path / "claims.json"
    array.write_text(
        json.dumps(
            [{"text": "It may rain.", "label": "SPECULATIVE"}, {"text": "It rained.", "label": "FACT"}]
        )
    )
    import_corpus("sentences", [array], tmp_path / "a", validation_fraction=0, test_fraction=0)
    assert [row["label"] for row in rows_of(tmp_path / "a", "claims")["train"]] == ["SPECULATIVE", "FACT"]
    dataset, _ = load_dataset(tmp_path / "c", "claims")
    assert dataset["train"].features["label"].names == ["FACT", "SPECULATIVE"]


def test_szeged_and_bioscope_uncertain_means_a_speculation_cue(tmp_path):
    result = import_corpus(
        "szeged", [FIXTURES / "szeged.xml"], tmp_path / "s", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "s", "claims")["train"]
    assert [row["label"] for row in rows] == ["certain", "uncertain", "certain", "uncertain"]
    assert rows[3]["text"] == "She is believed to be the first mayor."
    assert rows[0]["article_id"] == "szeged:Made Up Town_1"
    assert result.manifest.tasks["claims"]["labels"] == ["certain", "uncertain"]
    import_corpus(
        "bioscope", [FIXTURES / "bioscope.xml"], tmp_path / "b", validation_fraction=0, test_fraction=0
    )
    rows = rows_of(tmp_path / "b", "claims")["train"]
    assert [(row["text"], row["label"]) for row in rows] == [
        ("The protein binds no receptor.", "certain"),  # negation alone is not uncertainty
        ("These results suggest a role for the gene.", "uncertain"),
        ("A study of cells.", "certain"),
    ]


def test_split_by_document_is_seeded_and_keeps_documents_whole(tmp_path):
    lines = [
        json.dumps({"text": f"Sentence {i} of {d}.", "label": "A" if i % 2 else "B", "article_id": f"doc{d}"})
        for d in range(40)
        for i in range(3)
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    splits = {}
    for seed in (1, 2):
        import_corpus(
            "sentences", [path], tmp_path / f"s{seed}", seed=seed, validation_fraction=0.2, test_fraction=0.2
        )
        rows = rows_of(tmp_path / f"s{seed}", "claims")
        splits[seed] = {split: {row["article_id"] for row in rows[split]} for split in rows}
        assert [len(splits[seed][s]) for s in ("train", "validation", "test")] == [24, 8, 8]
    assert splits[1]["validation"] != splits[2]["validation"]


# ---- split names and label map parsing --------------------------------------------------------------------


def test_split_names_from_file_names_and_from_the_option(tmp_path):
    assert split_of_name(Path("eng.testa")) == "validation" and split_of_name(Path("eng.testb")) == "test"
    assert split_of_name(Path("HIPE-data-v1.4-dev-fr.tsv")) == "validation"
    assert split_of_name(Path("train.csv")) == "train" and split_of_name(Path("wiki.xml")) is None
    assert parse_split_names("train=a.txt, test=b.txt") == {"a.txt": "train", "b.txt": "test"}
    with pytest.raises(ToolkitError, match="--split-names"):
        parse_split_names("training=a.txt")
    shutil.copy(FIXTURES / "tiny.testa", tmp_path / "first.conll")
    result = import_corpus(
        "conll2003",
        [FIXTURES / "tiny.train", tmp_path / "first.conll"],
        tmp_path / "d",
        split_names=parse_split_names("test=first.conll,train=tiny.train"),
    )
    assert result.rows == {"train": 4, "validation": 0, "test": 1}
    with pytest.raises(ToolkitError, match="says no split"):
        import_corpus("conll2003", [FIXTURES / "tiny.train", tmp_path / "first.conll"], tmp_path / "e")
    with pytest.raises(ToolkitError, match="FROM=TO"):
        parse_label_map("pers")


# ---- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "name", "content", "message"),
    [
        (
            "conll",
            "bad.conll",
            "Acme NNP B-ORG\nCorp B-ORG\n",
            r"bad.conll:2: 2 columns, expected 3 as on line 1",
        ),
        ("conll", "bad.conll", "Acme NNP ORG\n", r"bad.conll:1: bad tag 'ORG'"),
        ("conll", "bad.conll", b"Caf\xe9 O\n", r"bad.conll:1: not valid UTF-8"),
        (
            "hipe",
            "bad.tsv",
            "TOKEN\tNE-COARSE-LIT\tMISC\n# document_id = x\nLe\tO\n",
            r"bad.tsv:3: 2 columns, expected 3",
        ),
        ("hipe", "bad.tsv", "Le\tO\t_\n", r"bad.tsv:1: expected the HIPE header"),
        (
            "finer",
            "bad.csv",
            "gold_label,gold_token,doc_idx,sent_idx\n9,Acme,0,0\n",
            r"bad.csv:2: bad label id 9",
        ),
        (
            "finer",
            "bad.csv",
            "gold_token,doc_idx,sent_idx\nAcme,0,0\n",
            r"bad.csv:1: missing column\(s\) gold_label",
        ),
        (
            "finer",
            "bad.csv",
            "gold_label,gold_token,doc_idx,sent_idx\n0,A,0,0\n0,B,0,1\n0,C,0,0\n",
            r"bad.csv:4: sentence doc_idx=0 sent_idx=0 resumes",
        ),
        ("sentences", "bad.jsonl", '{"text": "A."}\n', r"bad.jsonl:1: no label"),
        ("sentences", "bad.csv", "text,label\nA.,X,extra\n", r"bad.csv:2: wrong number of columns"),
        ("szeged", "bad.xml", "<Annotation>\n<Document>\n</Annotation>\n", r"bad.xml:3: malformed XML"),
    ],
)
def test_malformed_input_is_one_line_naming_file_and_line(tmp_path, format, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ToolkitError, match=message) as error:
        import_corpus(format, [path], tmp_path / "out")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def test_an_unknown_format_names_the_known_ones(tmp_path):
    with pytest.raises(ToolkitError, match="unknown format 'conl'.*conll2003"):
        import_corpus("conl", [FIXTURES / "tiny.train"], tmp_path / "d")


# ---- command line -----------------------------------------------------------------------------------------


def test_import_command_options_change_the_dataset(tmp_path):
    base = ["dataset", "import", "--format", "hipe", str(FIXTURES / "hipe-train-fr.tsv")]
    result = runner.invoke(app, [*base, "--output", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "entities: train 4 rows; labels O, B-DATE" in result.output and "B-PROD" in result.output
    result = runner.invoke(
        app, [*base, "-o", str(tmp_path / "b"), "--label-map", "prod=,nope=X", "--lang", "it"]
    )
    assert result.exit_code == 0, result.output
    assert "B-PROD" not in result.output and "not in the corpus: nope" in result.output
    assert {row["lang"] for row in rows_of(tmp_path / "b", "entities")["train"]} == {"it"}
    split = ["--split-names", "validation=hipe-train-fr.tsv"]
    result = runner.invoke(app, [*base, "-o", str(tmp_path / "c"), *split])
    assert result.exit_code == 0 and "validation 4 rows" in result.output
    result = runner.invoke(
        app, ["dataset", "import", "-f", "conll", str(FIXTURES / "szeged.xml"), "-o", str(tmp_path / "x")]
    )
    assert result.exit_code == 1 and result.output.startswith("error: ") and result.output.count("\n") == 1


def test_import_command_seed_and_fractions(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": f"S {d}.", "label": "A", "article_id": f"d{d}"}) + "\n" for d in range(20)
        )
    )
    outputs = []
    for seed, validation, test in ((1, "0.25", "0"), (2, "0.25", "0"), (1, "0.5", "0"), (1, "0.25", "0.25")):
        out = tmp_path / f"o{seed}{validation}{test}"
        command = ["dataset", "import", "-f", "sentences", str(path), "-o", str(out), "--seed", str(seed)]
        result = runner.invoke(app, [*command, "--validation", validation, "--test", test])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads((out / "manifest.json").read_text())["tasks"]["claims"]["rows"])
        outputs[-1]["hash"] = json.loads((out / "manifest.json").read_text())["content_hash"]
    assert (
        outputs[0]["validation"] == outputs[1]["validation"] == 5 and outputs[0]["hash"] != outputs[1]["hash"]
    )
    assert outputs[2]["validation"] == 10 and outputs[0]["test"] == 0
    assert (outputs[3]["train"], outputs[3]["validation"], outputs[3]["test"]) == (10, 5, 5)


def test_imported_data_trains_and_evaluates_from_the_command_line(tmp_path, tracking_uri):
    pytest.importorskip(
        "toolkit.models.claims", reason="the estimators (toolkit.models) are not complete yet"
    )
    data = tmp_path / "data"
    assert runner.invoke(app, ["dataset", "import", "-f", "conll2003", str(FIXTURES / "tiny.train"),
                               str(FIXTURES / "tiny.testa"), "-o", str(data)]).exit_code == 0  # fmt: skip
    experiment = tmp_path / "tagger.toml"
    experiment.write_text(
        '[experiment]\ntask = "entities"\n[model]\nestimator = "EntityTagger"\nmax_iter = 2\n'
    )
    result = runner.invoke(app, ["train", str(experiment), "--data", str(data)])
    assert result.exit_code == 0, result.output
    model_uri = re.findall(r"^\s+model: (\S+)$", result.output, re.MULTILINE)[-1]
    metrics = tmp_path / "metrics.json"
    result = runner.invoke(app, ["evaluate", model_uri, str(data), "--output", str(metrics)])
    assert result.exit_code == 0, result.output
    assert "span_f1" in json.loads(metrics.read_text())["metrics"]


# ---- the real corpora (../shared/data), skipped when absent -----------------------------------------------

REAL = [
    ("conll2003", ["conll2003-en/eng.train", "conll2003-en/eng.testa"], {"train": 14041, "validation": 3250},
     {"train": {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}}),
    ("finer", ["finer-ord/train.csv", "finer-ord/val.csv"], {"train": 3262, "validation": 402}, {}),
    ("hipe", ["hipe2020-fr/HIPE-data-v0.9-train-fr.tsv", "hipe2020-fr/HIPE-data-v1.4-dev-fr.tsv"], {},
     {"validation": {"DATE": 68, "LOC": 774, "ORG": 159, "PER": 679, "PROD": 49}}),
    ("europeana", ["europeana-ner-fr/enp_FR.bnf.bio"], {}, {}),
    ("szeged", ["szeged-uncertainty/wiki.xml"], {}, {}),
    ("bioscope", ["bioscope/abstracts.xml", "bioscope/full_papers.xml"], {}, {}),
]  # fmt: skip


@pytest.mark.corpus
@pytest.mark.parametrize(("format", "files", "rows", "counts"), REAL, ids=[r[0] for r in REAL])
def test_real_corpus_imports(tmp_path, format, files, rows, counts):
    paths = [DATA / file for file in files]
    if not all(path.is_file() for path in paths):
        pytest.skip(f"{DATA} does not hold {', '.join(files)}")
    result = import_corpus(format, paths, tmp_path / "d")
    manifest = result.manifest.tasks[result.task]
    for split, count in rows.items():
        assert manifest["rows"][split] == count
    for split, expected in counts.items():
        assert manifest["label_counts"][split] == expected
    if result.task == "claims":
        uncertain = sum(counts.get("uncertain", 0) for counts in manifest["label_counts"].values())
        expected = {"szeged": 2606, "bioscope": 2101 + 519}[format]  # SOURCE.md: sentences with a cue
        assert uncertain == expected
    else:
        tokens = sum(info["tokens"] for info in result.report["files"].values())
        assert tokens == {"conll2003": 254983, "finer": 90764, "hipe": 135417, "europeana": 205916}[format]


def test_import_command_has_help_listing_the_formats():
    result = runner.invoke(app, ["dataset", "import", "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert all(name in result.output for name in ("conll2003", "hipe", "finer", "szeged", "bioscope"))
