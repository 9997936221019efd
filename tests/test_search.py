"""Hyper-parameter search: the [search] table is checked, folds keep articles together, candidates are nested runs."""

import dataclasses
import re

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import build_dataset
from toolkit.errors import ToolkitError
from toolkit.training.experiments import load_experiment
from toolkit.training.search import folds, parse_search, source_group

ENTITIES = '[experiment]\nname = "ent"\ntask = "entities"\n[model]\nestimator = "EntityTagger"\n'
TAGGER = 'feature_set = "basic"\nn_features = 4096\nmax_iter = 2\n'
CLAIMS = '[experiment]\nname = "cl"\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'


def experiment_file(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("search", "message"),
    [
        (
            'method = "grid"\nparams = {window = [1]}\nfolds = 3',
            "unknown key `search.folds` (known: cv, method",
        ),
        (
            'method = "bayes"\nparams = {window = [1]}',
            '`search.method` must be "grid" or "random", got \'bayes\'',
        ),
        ('method = "grid"', "`search.params` must be a table of estimator parameters"),
        ("params = {windw = [1, 2]}", "unknown key `search.params.windw` for EntityTagger (known: "),
        ("params = {window = []}", "`search.params.window` must be a non-empty array of values, got []"),
        ("params = {window = 2}", "`search.params.window` must be a non-empty array of values, got 2"),
        ("params = {window = [1, 2]}\nn_iter = 2", '`search.n_iter` only applies to method = "random"'),
        (
            'method = "random"\nparams = {window = [1, 2]}\nn_iter = 0',
            "`search.n_iter` must be an integer >= 1",
        ),
        (
            "params = {window = [1, 2]}\ncv = 1",
            '`search.cv` must be an integer >= 2 (folds), "language" or "source", got 1',
        ),
        (
            "params = {window = [1, 2]}\ncv = true",
            '`search.cv` must be an integer >= 2 (folds), "language" or "source", got True',
        ),
        (
            'params = {window = [1, 2]}\ncv = "languages"',
            '`search.cv` must be an integer >= 2 (folds), "language" or "source", got \'languages\'',
        ),
        (
            'params = {window = [1, 2]}\nscoring = "macro_f1"',
            "`search.scoring` must be one of span_f1 for entities",
        ),
    ],
)
def test_a_bad_search_table_is_one_error_naming_the_file_and_key(tmp_path, search, message):
    path = experiment_file(tmp_path, ENTITIES + TAGGER + "[search]\n" + search + "\n")
    with pytest.raises(ToolkitError) as error:
        parse_search(load_experiment(path))
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_train_reports_a_bad_search_table_as_one_line_before_reading_data(tmp_path):
    path = experiment_file(tmp_path, ENTITIES + "[search]\nparams = {window = [1]}\ncv = 0\n")
    result = CliRunner().invoke(app, ["train", str(path), "--data", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert (
        result.output
        == f'error: {path}: `search.cv` must be an integer >= 2 (folds), "language" or "source", got 0\n'
    )


def test_search_defaults_and_candidate_counts(tmp_path):
    grid = parse_search(
        load_experiment(
            experiment_file(
                tmp_path, ENTITIES + "[search]\nparams = {window = [0, 1], max_iter = [1, 2, 3]}\n"
            )
        )
    )
    assert (grid.method, grid.cv, grid.scoring, grid.n_candidates) == ("grid", 3, "span_f1", 6)
    random = parse_search(
        load_experiment(
            experiment_file(
                tmp_path,
                ENTITIES + '[search]\nmethod = "random"\nparams = {window = [0, 1, 2]}\nn_iter = 9\n',
            )
        )
    )
    assert random.n_candidates == 3  # never more than the grid holds
    assert parse_search(load_experiment(experiment_file(tmp_path, ENTITIES))) is None


def test_claims_search_scores_macro_f1_by_default(tmp_path):
    spec = parse_search(
        load_experiment(experiment_file(tmp_path, CLAIMS + "[search]\nparams = {C = [0.5, 2.0]}\n"))
    )
    assert spec.scoring == "macro_f1"
    ngrams = parse_search(
        load_experiment(
            experiment_file(tmp_path, CLAIMS + "[search]\nparams = {word_ngram_range = [[1, 1], [1, 2]]}\n")
        )
    )
    assert ngrams.params == {
        "word_ngram_range": [(1, 1), (1, 2)]
    }  # TOML arrays become the tuples sklearn wants


def test_folds_keep_every_article_in_one_fold_and_follow_the_seed():
    groups = [f"article-{i // 4}" for i in range(40)]  # ten articles of four sentences
    X = list(range(len(groups)))
    splits = list(folds(3, seed=1).split(X, groups=groups))
    assert len(splits) == 3
    for train, held_out in splits:
        assert not {groups[i] for i in train} & {groups[i] for i in held_out}
    assert [list(h) for _, h in folds(3, seed=1).split(X, groups=groups)] == [list(h) for _, h in splits]
    assert [list(h) for _, h in folds(3, seed=2).split(X, groups=groups)] != [list(h) for _, h in splits]


@pytest.fixture
def small_data(tmp_path, small_export):
    output = tmp_path / "data"
    build_dataset([small_export], output, validation_fraction=0.2, test_fraction=0.2)
    return output


def test_a_search_is_a_parent_run_with_one_nested_run_per_candidate(tmp_path, small_data, tracking_uri):
    search = '[search]\nmethod = "grid"\nparams = {window = [0, 1], max_iter = [1, 2]}\ncv = 2\n'
    path = experiment_file(tmp_path, ENTITIES + TAGGER + search)
    runner = CliRunner()
    result = runner.invoke(app, ["train", str(path), "--data", str(small_data), "--n-jobs", "2"])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"search: 4 candidates \(nested runs\), best max_iter=\d, window=\d: cv span_f1 ", result.output
    )

    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("toolkit-entities")
    parent = client.search_runs([experiment.experiment_id], "tags.mlflow.parentRunId IS NULL")[0]
    children = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert re.fullmatch(
        r"entities · EntityTagger\(basic\) · grid×4 · data [0-9a-f]{8} · [0-9a-f]{7}", parent.info.run_name
    )
    assert parent.data.tags["search.role"] == "parent" and parent.data.tags["search.n_jobs"] == "2"
    assert len(children) == 4
    assert {(c.data.params["model.window"], c.data.params["model.max_iter"]) for c in children} == {
        ("0", "1"), ("0", "2"), ("1", "1"), ("1", "2"),
    }  # fmt: skip
    for child in children:
        assert (
            child.data.params["model.feature_set"] == "basic"
        )  # the file's own params, with the candidate's
        assert "search.method" not in child.data.params
        assert {"cv.span_f1.mean", "cv.span_f1.std", "cv.rank"} <= set(child.data.metrics)
        assert len(client.get_metric_history(child.info.run_id, "cv.span_f1")) == 2  # one score per fold
    # Candidates with equal CV scores share rank 1; the parent holds one of them (scikit-learn's first).
    ranked_first = [child for child in children if child.data.metrics["cv.rank"] == 1]
    chosen = {name: parent.data.params[f"search.best.{name}"] for name in ("window", "max_iter")}
    best = next(c for c in ranked_first if all(c.data.params[f"model.{n}"] == v for n, v in chosen.items()))
    for name in ("window", "max_iter"):
        assert parent.data.params[f"model.{name}"] == best.data.params[f"model.{name}"]
    assert parent.data.metrics["cv.span_f1.mean"] == pytest.approx(best.data.metrics["cv.span_f1.mean"])
    assert {"validation.span_f1", "test.span_f1"} <= set(parent.data.metrics)
    assert [
        output.model_id for output in parent.outputs.model_outputs
    ]  # the refit best model is the parent's
    assert not children[0].outputs or not children[0].outputs.model_outputs

    listed = runner.invoke(app, ["runs", "list"], env={"COLUMNS": "250"})
    everything = runner.invoke(app, ["runs", "list", "--candidates"], env={"COLUMNS": "250"})
    assert parent.info.run_id in listed.output and parent.info.run_id in everything.output
    assert all(c.info.run_id not in listed.output and c.info.run_id in everything.output for c in children)

    promoted = runner.invoke(app, ["runs", "promote", children[0].info.run_id])
    assert promoted.exit_code == 1
    assert f"it is a search candidate: promote its parent run {parent.info.run_id}" in promoted.output


def test_n_jobs_fits_candidates_in_parallel_with_the_same_results(tmp_path, small_data):
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS
    from toolkit.training.search import run_search

    path = experiment_file(
        tmp_path,
        ENTITIES
        + TAGGER
        + '[search]\nmethod = "random"\nparams = {window = [0, 1, 2]}\nn_iter = 2\ncv = 2\n',
    )
    experiment = load_experiment(path)
    spec = parse_search(experiment)
    dataset, _ = load_dataset(small_data, "entities")
    X, y = TASKS["entities"].xy(dataset["train"])
    groups = list(dataset["train"]["article_id"])
    one = run_search(experiment, spec, X, y, groups, seed=3, n_jobs=1)
    two = run_search(experiment, spec, X, y, groups, seed=3, n_jobs=2)
    assert (one.n_jobs, two.n_jobs) == (1, 2)
    assert [c.params for c in one.candidates] == [c.params for c in two.candidates]  # the seed draws them
    assert [f for c in one.candidates for f in c.folds] == pytest.approx(
        [f for c in two.candidates for f in c.folds]
    )
    assert one.best_params == two.best_params and len(one.candidates) == 2
    with pytest.raises(ToolkitError, match="--n-jobs must be a number of parallel jobs"):
        run_search(experiment, spec, X, y, groups, seed=3, n_jobs=0)


def test_averaged_f1_scoring_works_on_binary_string_labels():
    # A hedge detector (certain/uncertain) once failed: the scorer checked pos_label=1 against string classes.
    from toolkit.models.claims import ClaimClassifier
    from toolkit.training.search import _scorer

    texts = [
        "It may rain.",
        "It rained.",
        "Talks could fail.",
        "Talks failed.",
        "Sales might rise.",
        "Sales rose.",
    ] * 2
    labels = ["uncertain", "certain"] * 6
    model = ClaimClassifier(min_df=1).fit(texts, labels)
    assert 0.0 <= _scorer("macro_f1")(model, texts, labels) <= 1.0


# ---- cv = "language": leave one language out --------------------------------------------------------------


def test_language_folds_hold_out_one_language_each():
    languages = ["fr"] * 5 + ["en"] * 3
    X = list(range(len(languages)))
    splits = list(folds("language", seed=1).split(X, groups=languages))
    assert len(splits) == 2
    held_out = [{languages[i] for i in test} for _, test in splits]
    trained = [{languages[i] for i in train} for train, _ in splits]
    assert sorted(map(sorted, held_out)) == [["en"], ["fr"]]
    assert all(not h & t for h, t in zip(held_out, trained, strict=True))  # never scored on a seen language


def test_language_cv_scores_each_language_with_a_model_trained_on_the_other(tmp_path, small_data):
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS
    from toolkit.training.search import run_search

    search = '[search]\nparams = {C = [0.5, 4.0]}\ncv = "language"\n'
    experiment = load_experiment(
        experiment_file(tmp_path, CLAIMS + "use_char = false\nmin_df = 1\n" + search)
    )
    spec = parse_search(experiment)
    assert spec.cv == "language"
    dataset, _ = load_dataset(small_data, "claims")
    X, y = TASKS["claims"].xy(dataset["train"])
    groups, languages = list(dataset["train"]["article_id"]), list(dataset["train"]["lang"])
    outcome = run_search(experiment, spec, X, y, groups, seed=3, languages=languages)
    assert len(outcome.candidates) == 2
    assert all(len(candidate.folds) == 2 for candidate in outcome.candidates)  # en held out, then fr

    # The folds differ from article folds: the scores are those of a model that never saw the held-out language.
    by_article = run_search(experiment, dataclasses.replace(spec, cv=2), X, y, groups, seed=3)
    assert [c.folds for c in outcome.candidates] != [c.folds for c in by_article.candidates]
    with pytest.raises(ToolkitError, match="needs a train split in two languages or more"):
        run_search(experiment, spec, X, y, groups, seed=3, languages=["fr"] * len(groups))
    with pytest.raises(ToolkitError, match="needs each sentence's language"):
        run_search(experiment, spec, X, y, groups, seed=3)


def test_train_with_language_cv_picks_a_candidate_by_cross_language_score(tmp_path, small_data):
    from toolkit.training.fit import fit

    search = '[search]\nparams = {use_structure = [false, true]}\ncv = "language"\n'
    path = experiment_file(tmp_path, CLAIMS + "use_char = false\nmin_df = 1\n" + search)
    result = fit(path, small_data)
    best = result.search.best
    assert best.mean == pytest.approx(sum(best.folds) / 2)
    assert result.params["search.best.use_structure"] in ("True", "False")


# ---- cv = "source": leave one corpus part out ----------------------------------------------------------------


def test_source_groups_tell_corpus_parts_apart():
    assert source_group("en-100911", "en") == "en/en"
    assert source_group("newssd-train-097", "en") == "en/newssd"
    assert source_group("2016_01_01-001", "fr") == "fr"


def test_source_cv_holds_out_one_corpus_part_per_fold(tmp_path, small_data):
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS
    from toolkit.training.search import run_search

    search = '[search]\nparams = {C = [0.5, 4.0]}\ncv = "source"\n'
    experiment = load_experiment(
        experiment_file(tmp_path, CLAIMS + "use_char = false\nmin_df = 1\n" + search)
    )
    spec = parse_search(experiment)
    dataset, _ = load_dataset(small_data, "claims")
    X, y = TASKS["claims"].xy(dataset["train"])
    # Two parts in one language: articles "news-…" and "wire-…" are told apart although both are French.
    groups = [f"{'news' if i % 2 else 'wire'}-{i // 4}" for i in range(len(y))]
    outcome = run_search(experiment, spec, X, y, groups, seed=3, languages=["fr"] * len(y))
    assert all(len(candidate.folds) == 2 for candidate in outcome.candidates)
    with pytest.raises(ToolkitError, match="needs a train split in two sources"):
        run_search(
            experiment, spec, X, y, [f"a-{i}" for i in range(len(y))], seed=3, languages=["fr"] * len(y)
        )
