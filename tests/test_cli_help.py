"""What a newcomer reads: --version, an example under every command, flags shown as flags, usage mistakes."""

import json
from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from toolkit.cli import app

runner = CliRunner()


def all_commands(group=None, path=()):
    """Every command path of the CLI, hidden ones (the `export` alias) included."""
    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from all_commands(command, (*path, name))
        else:
            yield (*path, name)


COMMANDS = list(all_commands())


def test_the_walk_finds_every_command():
    assert {
        ("push",),
        ("export",),
        ("pull",),
        ("predict",),
        ("runs", "compare"),
        ("dataset", "import"),
    } <= set(COMMANDS)
    assert len(COMMANDS) >= 15


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"toolkit {version('toolkit')}\n"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_an_example_and_shows_flags_as_flags(command):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    examples = [line.strip(" │") for line in result.output.split("Example:")[1].splitlines() if "$ " in line]
    assert examples and all(
        line.startswith(f"$ toolkit {command[0]}") or command == ("export",) for line in examples
    )
    assert "<bool>" not in result.output and "<list[" not in result.output


def test_flags_are_flags_in_the_top_level_help_too():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "--version" in result.output and "<bool>" not in result.output


def test_the_label_studio_lookup_order_is_stated_once_and_referred_to():
    group = runner.invoke(app, ["labelstudio", "--help"], env={"COLUMNS": "200"}).output
    for says in (
        "$LABEL_STUDIO_URL",
        "LABEL_STUDIO_URL in ./.env",
        "$LABEL_STUDIO_PORT",
        "$LABEL_STUDIO_API_KEY",
    ):
        assert says in group, says
    assert group.index("$LABEL_STUDIO_URL") < group.index("LABEL_STUDIO_URL in ./.env")
    for command in (["push"], ["pull"], ["labelstudio", "init"]):
        own = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
        assert "see `toolkit labelstudio --help`" in own and "$LABEL_STUDIO_API_KEY" not in own, command


def test_push_is_listed_and_export_is_a_hidden_alias_doing_the_same(tmp_path, monkeypatch):
    listed = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "│ push " in listed and "│ export " not in listed
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    raw = tmp_path / "a.txt"
    raw.write_text("Acme Corp shares may rise 4% in 2027, analysts said.\n", encoding="utf-8")
    articles = tmp_path / "articles.jsonl"
    assert runner.invoke(app, ["ingest", str(raw), "-o", str(articles)]).exit_code == 0
    outputs = {}
    for verb in ("push", "export"):
        output = tmp_path / f"{verb}.json"
        result = runner.invoke(app, [verb, str(articles), "--rules", "--dry-run", "-o", str(output)])
        assert result.exit_code == 0, result.output
        assert (
            # 3 spans (PERCENT, DATE, the SPECULATIVE claim) and 2 cue regions explaining it (may, said)
            result.output
            == f"wrote 1 task with rules-1 pre-annotations (5 spans) to {output}: import it in Label Studio's UI\n"
        )
        outputs[verb] = json.loads(output.read_text())
    assert outputs["push"] == outputs["export"] and outputs["push"][0]["predictions"]


@pytest.mark.parametrize(
    "args, names",
    [
        (["runs", "list", "--limit", "0"], "'--limit'"),
        (["runs", "list", "--task", "cats"], "'--task'"),
        (["runs", "compare", "x", "--split", "train"], "'--split'"),
        (["dataset", "import", "--format", "nope", "README.md", "-o", "out"], "'--format' / '-f'"),
        (["evaluate", "runs:/x/model", ".", "--split", "dev"], "'--split'"),
        (["train", "experiments/claims-logreg.toml", "--n-jobs", "0"], "'--n-jobs'"),
        (["predict", "runs:/x/model", "README.md", "--format", "xml"], "'--format' / '-f'"),
        (["pull"], "give --project NAME"),
        (["push", "README.md", "--rules"], "--project NAME is required"),
        (["push", "README.md", "--dry-run"], "--dry-run needs --output"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_usage_mistakes_exit_2_in_one_line_before_the_library_runs(args, names, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'none.db'}")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert names in result.output and f" {args[0]}" in result.output.split("(see `")[1]
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "out").exists()
