import pytest

from toolkit.errors import ToolkitError
from toolkit.training.experiments import build_estimator, flatten, load_experiment

VALID = """
[experiment]
name = "claims-test"
task = "claims"

[model]
estimator = "ClaimClassifier"
C = 2.0
"""


def write(tmp_path, text):
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


def test_a_valid_experiment_loads(tmp_path):
    experiment = load_experiment(write(tmp_path, VALID))
    assert (experiment.task, experiment.estimator, experiment.params) == (
        "claims",
        "ClaimClassifier",
        {"C": 2.0},
    )
    assert flatten(experiment.config)["model.C"] == "2.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID + "Cee = 3\n", r"unknown key `model.Cee` for ClaimClassifier"),
        (VALID + "[trainer]\nepochs = 3\n", r"unknown section \[trainer\]"),
        (
            VALID.replace('name = "claims-test"', 'name = "x"\nowner = "me"'),
            r"unknown key `experiment.owner`",
        ),
        (VALID.replace('task = "claims"', 'task = "ner"'), r"experiment.task` must be one of"),
        (VALID.replace("ClaimClassifier", "EntityTagger"), r"does not serve task 'claims'"),
        ("[experiment\n", r"not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(ToolkitError, match=message) as error:
        load_experiment(write(tmp_path, text))
    assert str(error.value).startswith(str(tmp_path / "exp.toml"))


@pytest.mark.parametrize("value", ['["de"]', "[]", '"fr"'])
def test_train_languages_must_be_a_list_of_known_languages(tmp_path, value):
    with pytest.raises(ToolkitError, match=r"`data.train_languages` must be a list of fr, en"):
        load_experiment(write(tmp_path, VALID + f"\n[data]\ntrain_languages = {value}\n"))


def test_train_languages_restricts_training_and_every_split_is_scored_per_language(small_export, tmp_path):
    from toolkit.dataset import build_dataset
    from toolkit.training.fit import fit

    data = tmp_path / "data"
    build_dataset([small_export], data, validation_fraction=0.25, test_fraction=0.25)
    both = fit(write(tmp_path, VALID), data)
    path = tmp_path / "fr.toml"
    path.write_text(VALID + '\n[data]\ntrain_languages = ["fr"]\n')
    french = fit(path, data)
    assert set(french.dataset["train"]["lang"]) == {"fr"} and set(both.dataset["train"]["lang"]) == {
        "en",
        "fr",
    }
    assert len(french.dataset["train"]) < len(both.dataset["train"])
    # Scored on both languages of the test split, each on its own, whatever it learnt from.
    for result in (both, french):
        assert {"test.fr", "test.en", "validation.fr", "validation.en"} <= set(result.scores)
        assert "test.en.macro_f1" in result.metrics
    assert french.params["data.rows.train"] == len(french.dataset["train"])


ENTITIES = """
[experiment]
task = "entities"

[model]
estimator = "EntityTagger"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID.replace("C = 2.0", "C = true"), r"`model.C` must be a finite float in the range \(0.0, inf\), got true"),
        (VALID.replace("C = 2.0", "C = 0"), r"`model.C` must be a finite float in the range \(0.0, inf\), got 0"),
        (VALID.replace("C = 2.0", "C = -inf"), r"`model.C` must be .*, got -inf"),
        (VALID + 'classifier = "svm"\n', r"`model.classifier` must be a str among \{.*'linear_svm'.*\}, got \"svm\""),
        (VALID + "use_cues = 1\n", r"`model.use_cues` must be an instance of 'bool' or an instance of 'numpy.bool', got 1"),
        (VALID + "min_df = 2.5\n", r"`model.min_df` must be a finite int in the range \[1, inf\) or a finite float in the range \[0.0, 1.0\], got 2.5"),
        (VALID + "word_ngram_range = [3, 1]\n", r"`model.word_ngram_range` must be a pair \[min_n, max_n\] of integers with 1 <= min_n <= max_n <= 10, got \[3, 1\]"),
        (VALID + "char_ngram_range = [2, 5, 7]\n", r"`model.char_ngram_range` must be a pair"),
        (VALID + 'class_weight = "even"\n', r"`model.class_weight` must be .*, got \"even\""),
        (ENTITIES + "alpha = nan\n", r"`model.alpha` must be a finite float in the range \[0.0, inf\), got nan"),
        (ENTITIES + "learning_rate = inf\n", r"`model.learning_rate` must be a finite float in the range \(0.0, inf\), got inf"),
        (ENTITIES + "window = 1_000_000\n", r"`model.window` must be a finite int in the range \[0, 10\], got 1000000"),
        (ENTITIES + "n_features = 1_099_511_627_776\n", r"`model.n_features` must be a finite int in the range \[2, 16777216\]"),
        (ENTITIES + "max_iter = 2.5\n", r"`model.max_iter` must be a finite int in the range \[1, inf\), got 2.5"),
        (ENTITIES + "batch_size = false\n", r"`model.batch_size` must be a finite int"),
        (ENTITIES + 'feature_set = "fancy"\n', r"`model.feature_set` must be a str among"),
        (VALID + "[search]\nparams = {C = [1.0, nan]}\n", r"`search.params.C` must be a finite float .*, got nan"),
        (ENTITIES + "[search]\nparams = {window = [1, 99]}\n", r"`search.params.window` must be .*, got 99"),
    ],
)  # fmt: skip
def test_parameter_values_that_make_no_sense_are_refused_before_fitting(tmp_path, text, message):
    experiment = load_experiment(write(tmp_path, text))
    with pytest.raises(ToolkitError, match=message) as error:
        build_estimator(experiment)
    assert str(error.value).startswith(f"{tmp_path / 'exp.toml'}: `") and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "extra",
    [
        "",
        "use_char = false\nmin_df = 0.1\nword_ngram_range = [1, 3]\n",
        "class_weight = {FACT = 2.0, OPINION = 1.0}\n",
    ],
)
def test_sensible_values_build_the_estimator(tmp_path, extra):
    estimator = build_estimator(load_experiment(write(tmp_path, VALID + extra)), seed=3)
    assert estimator.get_params()["random_state"] == 3


def test_the_shipped_experiments_pass_their_constraints():
    from pathlib import Path

    experiments = sorted(Path(__file__).resolve().parents[1].joinpath("experiments").glob("*.toml"))
    assert experiments
    for path in experiments:
        build_estimator(load_experiment(path))


def test_every_parameter_of_our_estimators_has_a_constraint():
    from toolkit.models.claims import ClaimClassifier
    from toolkit.models.tagger import EntityTagger

    for estimator in (ClaimClassifier(), EntityTagger()):
        assert set(estimator._parameter_constraints) == set(estimator.get_params(deep=False))
        estimator._validate_params()  # the defaults satisfy them


@pytest.mark.parametrize(
    ("data", "message"),
    [('path = ["data"]', r"`data.path` must be a folder path \(a string\), got \[\"data\"\]"), ("positive_label = 1", r"`data.positive_label` must be a label name")],
)  # fmt: skip
def test_data_keys_of_the_wrong_kind_are_refused(tmp_path, data, message):
    with pytest.raises(ToolkitError, match=message):
        load_experiment(write(tmp_path, VALID + f"[data]\n{data}\n"))
