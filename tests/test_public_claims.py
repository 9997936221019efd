"""Weak claims datasets from public corpora: the MEANTIME, PolNeAR and NewsSD readers, and what must stay out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset.importers import import_corpus, text_key
from toolkit.dataset.importers.weak import detokenize, read_meantime, read_newssd, read_polnear
from toolkit.dataset.public_claims import build_public_claims
from toolkit.errors import ToolkitError

MEANTIME = """1\tShares\t_\t_\t_\t_
2\tmay\t_\t_\t_\t_
3\tfall\tB-E-1\tB-POSSIBLE-1\tB-POS-1\tB-FUTURE-1
4\t.\t_\t_\t_\t_

5\tBoeing\t_\t_\t_\t_
6\twill\t_\t_\t_\t_
7\tdeliver\tB-E-2\tB-CERTAIN-2\tB-POS-2\tB-FUTURE-2
8\t"\t_\t_\t_\t_
9\tsoon\t_\t_\t_\t_
10\t"\t_\t_\t_\t_
11\t,\t_\t_\t_\t_
12\the\t_\t_\t_\t_
13\tsaid\tB-E-3\tB-CERTAIN-3\tB-POS-3\tB-NON_FUTURE-3
14\t.\t_\t_\t_\t_

15\tIt\t_\t_\t_\t_
16\tfell\tB-E-4\tB-CERTAIN-4\tB-POS-4\tB-NON_FUTURE-4
17\t.\t_\t_\t_\t_

18\tMarch\t_\t_\t_\t_
19\t2008\t_\t_\t_\t_
"""


def meantime(folder: Path, number: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{number}_Some_title.xml.conll"
    path.write_text(MEANTIME)
    return path


def test_meantime_sentence_labels_follow_the_event_layer(tmp_path: Path) -> None:
    corpus = read_meantime(meantime(tmp_path / "conll", 100911).parent, name="m", lang="en")
    [document] = corpus.documents
    assert document.id == "en-100911"  # the shipped corpus's id for the same Wikinews page
    assert [(s.text, s.label) for s in document.sentences] == [
        ("Shares may fall.", "hedged"),
        ('Boeing will deliver "soon", he said.', "future"),
        ("It fell.", "certain"),
        ("March 2008", "no_event"),
    ]


def test_meantime_refuses_a_file_of_the_wrong_shape(tmp_path: Path) -> None:
    (tmp_path / "1_x.xml.conll").write_text("1\tonly\ttwo\n")
    with pytest.raises(ToolkitError, match=r"1_x.xml.conll:1: expected 6 tab-separated columns"):
        read_meantime(tmp_path, name="m", lang="en")


def test_detokenize_joins_tokens_as_text() -> None:
    assert detokenize(["It", "does", "n't", "cost", "$", "5", "(", "or", "5", "%", ")", "."]) == (
        "It doesn't cost $5 (or 5%)."
    )


def test_polnear_tells_speech_from_belief(tmp_path: Path) -> None:
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    text = "Taxes will rise, the senator said. Voters fear the plan. The vote is on Monday."
    (tmp_path / "text" / "a1.txt").write_text(text)
    said, fear = text.index("said"), text.index("fear")
    (tmp_path / "attributions" / "a1_7.ann").write_text(
        f"T1\tCue {said} {said + 4}\tsaid\nT2\tCue {fear} {fear + 4}\tfear\n"
    )
    (tmp_path / "attributions" / "a1_9.ann").write_text("")  # a second annotator: not used
    corpus = read_polnear(tmp_path, name="dev", lang="en")
    assert [(s.text, s.label) for s in corpus.documents[0].sentences] == [
        ("Taxes will rise, the senator said.", "speech"),
        ("Voters fear the plan.", "belief"),
        ("The vote is on Monday.", "none"),
    ]


def test_newssd_reads_its_csv_and_refuses_other_labels(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(
        'Sentence,Label,Solved conflict\n"A bold, reckless bet.\n",SUBJ,False\nIt rained.,OBJ,False\n'
    )
    corpus = read_newssd(path, name="newssd", lang="en")
    assert [(d.sentences[0].text, d.sentences[0].label) for d in corpus.documents] == [
        ("A bold, reckless bet.", "SUBJ"),
        ("It rained.", "OBJ"),
    ]
    path.write_text("Sentence,Label\nIt rained.,NEUTRAL\n")
    with pytest.raises(ToolkitError, match="SUBJ or OBJ"):
        read_newssd(path, name="newssd", lang="en")


def corpus(tmp_path: Path) -> Path:
    """A shipped-corpus stand-in: MEANTIME article en-2 and one NewsSD sentence sit in its validation split."""
    rows = {
        "train.jsonl": [("en-1", "It fell.", "FACT"), ("en-1", "Shares may fall.", "SPECULATIVE")],
        "val.jsonl": [
            ("en-2", "Anything.", "FACT"),
            ("newssd-train-001", "A bold , reckless bet.", "OPINION"),
        ],
        "test.jsonl": [("fr-1", "Il pleut.", "FACT"), ("fr-1", "Il pleuvrait.", "SPECULATIVE")],
    }
    paths = []
    for name, records in rows.items():
        path = tmp_path / name
        path.write_text(
            "".join(
                json.dumps({"article_id": a, "text": t, "label": label, "lang": "en"}) + "\n"
                for a, t, label in records
            )
        )
        paths.append(path)
    return import_corpus("sentences", paths, tmp_path / "corpus").output


def shared(tmp_path: Path) -> Path:
    data = tmp_path / "shared"
    for number in (1, 2):
        meantime(data / "meantime-en" / "conll", number)
    (data / "newssd-subjectivity").mkdir()
    (data / "newssd-subjectivity" / "train.csv").write_text(
        'Sentence,Label\n"A bold, reckless bet.",SUBJ\nIt rained.,OBJ\n'
    )
    (data / "newssd-subjectivity" / "val.csv").write_text("Sentence,Label\nSuperb.,SUBJ\nIt snowed.,OBJ\n")
    return data


def test_public_claims_leave_out_what_the_corpus_scores(tmp_path: Path) -> None:
    from toolkit.dataset import load_dataset

    result = build_public_claims(shared(tmp_path), corpus(tmp_path), tmp_path / "public")
    assert set(result.written) == {"meantime-factuality", "newssd"}
    assert set(result.skipped) == {"szeged-wiki", "polnear"}
    meantime_rows, _ = load_dataset(tmp_path / "public" / "meantime-factuality", "claims")
    # en-2 is scored by the corpus (validation): none of its sentences may train, en-1's may.
    assert set(meantime_rows["train"]["article_id"]) == {"en-1"}
    assert result.excluded["meantime-factuality"]["documents"] == 1
    newssd_rows, _ = load_dataset(tmp_path / "public" / "newssd", "claims")
    # The same sentence, tokenised differently in the corpus, is recognised and left out of train ...
    assert [text_key(t) for t in newssd_rows["train"]["text"]] == [text_key("It rained.")]
    # ... while NewsSD's own val, which the corpus does not hold, stays whole as the source's validation split.
    assert len(newssd_rows["validation"]) == 2


def test_public_claims_keep_what_is_up_to_date_and_rebuild_for_a_new_corpus(tmp_path: Path) -> None:
    data, built = shared(tmp_path), corpus(tmp_path)
    build_public_claims(data, built, tmp_path / "public")
    again = build_public_claims(data, built, tmp_path / "public")
    assert again.written == {} and set(again.up_to_date) == {"meantime-factuality", "newssd"}
    (tmp_path / "public" / "corpus-version").write_text("another\n")
    assert set(build_public_claims(data, built, tmp_path / "public").written) == {
        "meantime-factuality",
        "newssd",
    }


def test_public_claims_command_skips_absent_corpora(tmp_path: Path) -> None:
    built = corpus(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "dataset",
            "public-claims",
            "--shared",
            str(tmp_path / "none"),
            "--corpus",
            str(built),
            "-o",
            str(tmp_path / "p"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "szeged-wiki: skipped" in result.output and "newssd: skipped" in result.output
    assert not (tmp_path / "p").exists()
