"""Judges: every run scored on the public corpora present, and `toolkit runs select` choosing by their mean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_sources import CLAIMS, ENTITIES, conll_corpus, write
from typer.testing import CliRunner

from toolkit.cli import app


@pytest.fixture
def corpus(small_export, tmp_path) -> Path:
    from toolkit.dataset import build_dataset

    data = tmp_path / "corpus"
    build_dataset([small_export], data, validation_fraction=0.25, test_fraction=0.25)
    return data


def newssd_judge(folder: Path) -> Path:
    """A `public-claims`-style NewsSD dataset: subjective sentences (SUBJ) against objective ones (OBJ)."""
    from toolkit.dataset.importers import import_corpus

    source = folder / "newssd.csv"
    subjective = ["What a shameful, absurd decision.", "This is a truly wonderful plan!", "A disgrace."]
    objective = ["The plant employs 300 people.", "Shares rose 2% on Monday.", "The vote is on May 3."]
    rows = [f'"{text}",SUBJ' for text in subjective] + [f'"{text}",OBJ' for text in objective]
    source.write_text("Sentence,Label\n" + "\n".join(rows * 4) + "\n")
    output = folder / "public" / "newssd"
    import_corpus("newssd", [source], output, lang="en", validation_fraction=0.5, test_fraction=0.0)
    return output


def test_a_claims_run_is_judged_on_the_public_split_and_averages_it_with_ours(corpus, tmp_path):
    from sklearn.metrics import f1_score

    from toolkit.dataset import load_dataset
    from toolkit.tasks import task_spec
    from toolkit.training.fit import fit

    judge = newssd_judge(tmp_path)
    result = fit(write(tmp_path, CLAIMS), corpus, judges=judge.parent)
    rows, _ = load_dataset(judge, "claims")
    X, y = task_spec("claims").xy(rows["validation"])
    truth = [label == "SUBJ" for label in y]
    guessed = [status == "OPINION" for status in result.model.predict(X)]
    expected = f1_score(truth, guessed, average="macro", zero_division=0)
    assert result.metrics["validation.newssd.macro_f1"] == pytest.approx(expected)
    assert result.metrics["validation.newssd.rows"] == len(y)
    ours = result.metrics["validation.macro_f1"]
    assert result.metrics["validation.transfer.macro_f1"] == pytest.approx((ours + expected) / 2)
    assert result.params["transfer.judges"] == "ours, newssd"
    # Without the folder (or with nothing of the task's in it) a run has no transfer score.
    alone = fit(write(tmp_path, CLAIMS), corpus, judges=tmp_path / "absent")
    assert "validation.transfer.macro_f1" not in alone.metrics and "transfer.judges" not in alone.params


def test_an_entity_judge_scores_only_the_types_it_annotates(corpus, tmp_path):
    from toolkit.training.fit import fit

    public = tmp_path / "public"
    public.mkdir()
    shutil.copytree(conll_corpus(tmp_path), public / "conll2003-en")
    result = fit(write(tmp_path, ENTITIES), corpus, judges=public)
    judged = {key for key in result.metrics if key.startswith("validation.conll2003-en.span_f1.")}
    # The CoNLL-style judge has PER, ORG, LOC (and MISC, which no model of ours predicts): a DATE or MONEY the
    # model finds there is not scored against it.
    assert judged and {key.rsplit(".", 1)[1] for key in judged} <= {"PER", "ORG", "LOC", "MISC"}
    mean = (result.metrics["validation.span_f1"] + result.metrics["validation.conll2003-en.span_f1"]) / 2
    assert result.metrics["validation.transfer.span_f1"] == pytest.approx(mean)


def test_select_chooses_by_the_transfer_score_among_runs_with_the_same_judges(corpus, tmp_path, monkeypatch):
    from toolkit.tracking.log import train

    uri = f"sqlite:///{tmp_path / 'judged.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    judge = newssd_judge(tmp_path)
    models = {"plain": "C = 0.05", "sharp": 'C = 20.0\nclass_weight = "balanced"'}
    runs = {
        name: train(write(tmp_path, CLAIMS + model, f"{name}.toml"), corpus, judges=judge.parent)
        for name, model in models.items()
    }
    transfer = {name: run.metrics["validation.transfer.macro_f1"] for name, run in runs.items()}
    best = max(transfer, key=lambda name: (transfer[name], name == "sharp"))  # ties: the newest
    chosen = CliRunner().invoke(app, ["runs", "select", "--task", "claims", "--tracking-uri", uri])
    assert chosen.exit_code == 0, chosen.output
    assert (
        f"({runs[best].run_id}): validation.transfer.macro_f1 {transfer[best]:.3f}, best of 2"
        in chosen.output
    )

    # A newer run judged without the public split is not compared with the judged ones.
    newest = train(write(tmp_path, CLAIMS, "unjudged.toml"), corpus, judges=None)
    again = CliRunner().invoke(app, ["runs", "select", "--task", "claims", "--tracking-uri", uri])
    assert newest.transfer is None
    assert ": validation.macro_f1 " in again.output and "best of 3 runs" in again.output
