import json
import subprocess
import sys

from typer.testing import CliRunner

from toolkit.cli import app

HEAVY = ("mlflow", "datasets", "sklearn", "label_studio_sdk", "pandas", "pyarrow", "matplotlib")


def test_help_imports_no_heavy_library():
    # A fresh interpreter: in this one the other tests have imported everything already.
    code = (
        "import sys, json; from typer.testing import CliRunner; from toolkit.cli import app; "
        "result = CliRunner().invoke(app, ['--help']); assert result.exit_code == 0, result.output; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )
    assert loaded == []


def test_every_command_has_help():
    runner = CliRunner()
    commands = [
        [],
        ["schema", "config"],
        ["dataset", "build"],
        ["dataset", "import"],
        ["ingest"],
        ["train"],
        ["evaluate"],
        ["predict"],
        ["labelstudio", "init"],
        ["export"],
        ["pull"],
        ["runs", "list"],
        ["runs", "compare"],
        ["runs", "promote"],
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output


def test_an_unknown_experiment_key_is_one_line(tmp_path):
    experiment = tmp_path / "exp.toml"
    experiment.write_text('[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\nCee = 1\n')
    result = CliRunner().invoke(app, ["train", str(experiment), "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"error: {experiment}: unknown key `model.Cee` for ClaimClassifier (known: "
    )
    assert result.output.count("\n") == 1


def test_train_on_a_missing_dataset_is_one_line(tmp_path):
    result = CliRunner().invoke(
        app, ["train", "experiments/claims-logreg.toml", "--data", str(tmp_path / "nothing")]
    )
    assert (
        result.exit_code == 1 and "not a toolkit dataset" in result.output and result.output.count("\n") == 1
    )


def test_usage_errors_are_one_line_too(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["train", str(tmp_path / "nothere.toml")])
    assert missing.exit_code == 2
    assert missing.output.startswith(
        f"error: Invalid value for 'experiment': file '{tmp_path / 'nothere.toml'}' does not exist. (see `"
    )
    assert missing.output.endswith(" train --help`)\n") and missing.output.count("\n") == 1
    typo = runner.invoke(
        app, ["labelstudio", "init", "--project", "x", "--guidelines", str(tmp_path / "typo.md")]
    )
    assert typo.exit_code == 2 and typo.output.count("\n") == 1 and "typo.md' does not exist" in typo.output


def test_a_bad_parameter_value_is_one_line_naming_the_experiment_and_logs_nothing(tmp_path, small_export):
    data = tmp_path / "data"
    assert CliRunner().invoke(app, ["dataset", "build", str(small_export), "-o", str(data)]).exit_code == 0
    claims = '[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'
    entities = '[experiment]\ntask = "entities"\n[model]\nestimator = "EntityTagger"\n'
    cases = [
        (claims + 'classifier = "svm"\n', "`model.classifier` must be a str among"),
        (claims + "C = true\n", "`model.C` must be a finite float in the range (0.0, inf), got true"),
        (entities + "alpha = nan\n", "`model.alpha` must be a finite float in the range [0.0, inf), got nan"),
        (entities + "window = 100000000\n", "`model.window` must be a finite int in the range [0, 10]"),
        (
            claims + '[data]\npositive_label = "RUMOUR"\n',
            f"`data.positive_label` 'RUMOUR' is not a label of {data}",
        ),
        (entities + '[data]\npositive_label = "PER"\n', "`data.positive_label` applies to sentence labels"),
    ]
    store = tmp_path / "m.db"
    for text, message in cases:
        experiment = tmp_path / "exp.toml"
        experiment.write_text(text)
        result = CliRunner().invoke(
            app, ["train", str(experiment), "--data", str(data), "--tracking-uri", f"sqlite:///{store}"]
        )
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert result.output.startswith(f"error: {experiment}: {message}"), result.output
        assert not store.exists()  # refused before any run was opened


def test_reading_commands_do_not_create_a_store_and_a_dead_server_fails_fast(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 1 and "no MLflow store at" in result.output
    assert not (tmp_path / "mlflow.db").exists()
    from toolkit.servers._process import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["runs", "list", "--tracking-uri", dead])
    assert result.exit_code == 1 and f"MLflow server at {dead} is not answering" in result.output


def test_a_predictions_file_is_not_a_model(tmp_path):
    raw = tmp_path / "a.txt"
    raw.write_text("Acme Corp shares rose 4% on Tuesday.\n", encoding="utf-8")
    articles = tmp_path / "articles.jsonl"
    assert CliRunner().invoke(app, ["ingest", str(raw), "--output", str(articles)]).exit_code == 0
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("{}\n")
    result = CliRunner().invoke(
        app, ["predict", str(predictions), str(articles), "-o", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 1 and "is a file, not a model" in result.output
