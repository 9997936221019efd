"""Confident learning (toolkit.training.review): thresholds, suspects, and out-of-fold probabilities."""

from __future__ import annotations

import re

import numpy as np
import pytest

from toolkit.errors import ToolkitError
from toolkit.training.review import confident_thresholds, find_label_issues, out_of_fold_probabilities

CLASSES = ["FACT", "OPINION", "REPORTED"]


def test_thresholds_are_the_mean_probability_of_each_class_over_its_own_rows():
    y = ["FACT", "FACT", "OPINION"]
    proba = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    np.testing.assert_allclose(confident_thresholds(y, proba, CLASSES), [0.7, 0.7, 1.0])


def test_a_row_whose_confident_label_differs_is_a_suspect_and_the_surest_comes_first():
    y = ["FACT", "FACT", "FACT", "OPINION", "OPINION", "FACT"]
    proba = np.array(
        [
            [0.9, 0.05, 0.05],
            [0.8, 0.1, 0.1],
            [0.1, 0.85, 0.05],  # labelled FACT, confidently OPINION: a suspect
            [0.1, 0.8, 0.1],
            [0.2, 0.7, 0.1],
            [
                0.45,
                0.5,
                0.05,
            ],  # labelled FACT, OPINION 0.5 is below OPINION's threshold (0.75): not a suspect
        ]
    )
    suspects = find_label_issues(y, proba, CLASSES)
    assert [(s.index, s.given, s.suggested) for s in suspects] == [(2, "FACT", "OPINION")]
    assert suspects[0].margin == pytest.approx(0.75)
    # Thresholds move with the data: once row 4 looks like FACT, OPINION's threshold drops to 0.425 and row 5
    # (OPINION 0.5) becomes a suspect too. Ranked by margin, largest first: 0.85, 0.75, 0.05.
    proba[4] = [0.9, 0.05, 0.05]
    assert [s.index for s in find_label_issues(y, proba, CLASSES)] == [4, 2, 5]


def test_self_confidence_ranks_the_least_plausible_given_label_first_margin_the_widest_gap():
    y = ["OPINION", "FACT", "FACT", "FACT"]
    proba = np.array([[0.1, 0.9, 0.0], [0.05, 0.95, 0.0], [0.02, 0.90, 0.08], [0.9, 0.05, 0.05]])
    assert [s.index for s in find_label_issues(y, proba, CLASSES, "self_confidence")] == [2, 1]  # 0.02, 0.05
    assert [s.index for s in find_label_issues(y, proba, CLASSES)] == [
        1,
        2,
    ]  # margin, the default: 0.90, 0.88
    with pytest.raises(ToolkitError, match="unknown ranking 'loss'"):
        find_label_issues(y, proba, CLASSES, "loss")


def test_out_of_fold_probabilities_come_from_models_that_never_saw_the_article():
    from toolkit.models.claims import ClaimClassifier

    rng = np.random.default_rng(0)
    words = {"FACT": "rose fell reported", "OPINION": "bold risky mistake", "REPORTED": "said according told"}
    texts, labels, groups = [], [], []
    for article in range(10):
        for label in CLASSES:
            texts.append(f"The company {' '.join(rng.permutation(words[label].split()))} today {article}.")
            labels.append(label)
            groups.append(f"a{article}")
    X = np.array(texts, dtype=str)
    probabilities, classes = out_of_fold_probabilities(ClaimClassifier(min_df=1), X, labels, groups, folds=5)
    assert classes == CLASSES and probabilities.shape == (30, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (np.asarray(classes)[probabilities.argmax(axis=1)] == np.asarray(labels)).mean() > 0.9
    with pytest.raises(ToolkitError, match="too few for 5 folds"):
        out_of_fold_probabilities(ClaimClassifier(), X[:6], labels[:6], groups[:6])


@pytest.mark.parametrize(
    ("model", "field"),
    [('task = "claims"\n[model]\nestimator = "ClaimClassifier"\nmin_df = 1', '"given": "'),
     ('task = "entities"\n[model]\nestimator = "EntityTagger"\nmax_iter = 3', '"kind": "')],
)  # fmt: skip
def test_review_command_lists_suspects_of_a_claims_or_entities_dataset(small_export, tmp_path, model, field):
    from typer.testing import CliRunner

    from toolkit.cli import app
    from toolkit.dataset import build_dataset

    data = tmp_path / "data"
    build_dataset([small_export], data, validation_fraction=0.2, test_fraction=0.2)
    experiment = tmp_path / "experiment.toml"
    experiment.write_text(f"[experiment]\n{model}\n")
    output = tmp_path / "suspects.jsonl"
    result = CliRunner().invoke(
        app,
        ["review", str(experiment), "--data", str(data), "--folds", "3", "--limit", "2", "-o", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert "suspects among" in result.output and output.is_file()
    lines = [line for line in output.read_text().splitlines() if line]
    assert lines and all(field in line and '"article_id"' in line for line in lines)
    assert len(re.findall(r"^  \S+  .+ → .+ \(\d\.\d\d vs \d\.\d\d\)", result.output, re.MULTILINE)) == 2
