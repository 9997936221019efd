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
