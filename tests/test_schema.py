from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.schema import labeling_config, load_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "annotations" / "schema.toml"


def test_checked_in_config_matches_the_schema():
    checked_in = (ROOT / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")
    assert checked_in == labeling_config(load_schema(SCHEMA)), (
        "run `toolkit schema config` and commit the result"
    )


def test_config_has_one_text_and_three_label_groups_on_it():
    schema = load_schema(SCHEMA)
    root = ElementTree.fromstring(labeling_config(schema))
    assert [text.get("name") for text in root.iter("Text")] == ["text"]
    groups = {labels.get("name"): [label.get("value") for label in labels] for labels in root.iter("Labels")}
    assert groups == {
        "entities": ["PER", "ORG", "LOC", "MONEY", "PERCENT", "DATE"],
        "claims": schema.claims.values,
        "cues": ["HEDGE", "ATTRIBUTION", "FORECAST_CUE", "OPINION_CUE"],
    }
    assert all(labels.get("toName") == "text" for labels in root.iter("Labels"))
    assert schema.claims.values == ["FACT", "REPORTED", "SPECULATIVE", "FORECAST", "OPINION"]


def test_names_and_descriptions_are_xml_escaped(tmp_path):
    text = SCHEMA.read_text(encoding="utf-8").replace('value = "PER"', 'value = "P<E>R & \\"co\\""', 1)
    text = text.replace("Not titles alone", "Not <titles> & 'quotes'", 1)
    path = tmp_path / "schema.toml"
    path.write_text(text, encoding="utf-8")
    root = ElementTree.fromstring(labeling_config(load_schema(path)))
    per = next(root.iter("Label"))
    assert per.get("value") == 'P<E>R & "co"'
    assert "<titles> & 'quotes'" in per.get("hint")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('hotkey = "2"', 'hotkey = "1"'), "share a hotkey"),
        (('value = "FACT"', 'value = "PER"'), "both an entity and a claim"),
        (('value = "FACT"', 'value = "NONE"'), "reserved"),
        (('value = "HEDGE"', 'value = "FACT"'), "cue label is also"),
        (('value = "ATTRIBUTION"', 'value = "ATTRIBUTION"\nhotkey = "9"'), "take no hotkey"),
        (('name = "cues"', 'name = "claims"'), "name of its own"),
    ],
)
def test_inconsistent_schemas_are_refused(tmp_path, change, message):
    path = tmp_path / "schema.toml"
    path.write_text(SCHEMA.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    with pytest.raises(ToolkitError, match=message):
        load_schema(path)


def test_schema_config_command_writes_and_checks(tmp_path):
    output = tmp_path / "config.xml"
    runner = CliRunner()
    result = runner.invoke(app, ["schema", "config", "--schema", str(SCHEMA), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text() == labeling_config(load_schema(SCHEMA))
    assert (
        runner.invoke(
            app, ["schema", "config", "--schema", str(SCHEMA), "-o", str(output), "--check"]
        ).exit_code
        == 0
    )
    output.write_text("<View/>")
    stale = runner.invoke(app, ["schema", "config", "--schema", str(SCHEMA), "-o", str(output), "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output and "Traceback" not in stale.output


def test_cue_labels_have_no_hotkey_and_the_cue_group_comes_last():
    root = ElementTree.fromstring(labeling_config(load_schema(SCHEMA)))
    groups = list(root.iter("Labels"))
    assert groups[-1].get("name") == "cues"
    assert all(label.get("hotkey") is None for label in groups[-1])
    assert all(label.get("hotkey") for group in groups[:-1] for label in group)


def test_a_schema_without_cues_still_loads_and_makes_two_groups(tmp_path):
    text = SCHEMA.read_text(encoding="utf-8")
    path = tmp_path / "schema.toml"
    path.write_text(text[: text.index("\n# Regions that explain")] + "\n", encoding="utf-8")
    schema = load_schema(path)
    assert schema.cues is None
    assert list(schema.groups) == ["entities", "claims"]
    root = ElementTree.fromstring(labeling_config(schema))
    assert [labels.get("name") for labels in root.iter("Labels")] == ["entities", "claims"]
