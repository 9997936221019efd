import pytest

from toolkit.errors import ToolkitError
from toolkit.training.experiments import flatten, load_experiment

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
