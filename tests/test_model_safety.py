"""Models never run code: a crafted model is refused in one line, before any of its code can run.

Each hostile model carries a payload that writes a marker file when it is deserialised. A control test loads each
one with MLflow's own `mlflow.sklearn.load_model` and sees the marker appear, so the payloads are real; every other
test loads them the toolkit's way (load_model, `toolkit predict`, `toolkit evaluate`, `toolkit export
--predictions`) and checks the refusal and that no marker was ever written.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from sample_exports import EN, FR, make_export
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.dataset import build_dataset
from toolkit.errors import ToolkitError
from toolkit.models import SKOPS_TRUSTED_TYPES
from toolkit.tracking.models import load_model

EXPERIMENT = (
    '[experiment]\nname = "genuine"\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'
    'classifier = "logreg"\nuse_char = false\n'
)
HOSTILE = ("pickle", "cloudpickle", "skops-exec")
REASONS = {
    "pickle": "refused: not a skops model (serialized with 'pickle'",
    "cloudpickle": "refused: not a skops model (serialized with 'cloudpickle'",
    "skops-exec": "refused: model.skops holds untrusted type 'builtins.exec'",
}


class Payload:
    """Pickles as a call to exec: unpickling it writes `marker`."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def predict(self, X):  # noqa: ANN001, ANN201 - only so MLflow treats it as a model
        return X

    def __reduce__(self):  # noqa: ANN204
        return (exec, (f"open({self.marker!r}, 'w').write('code ran')",))


def _exec_node(marker: Path) -> dict:
    """A skops node that calls builtins.exec (ConstructorFromReduceNode) when built."""
    code = f"open({str(marker)!r}, 'w').write('code ran')"
    return {
        "__class__": "exec",
        "__module__": "builtins",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [
                {
                    "__class__": "str",
                    "__module__": "builtins",
                    "__loader__": "JsonNode",
                    "content": json.dumps(code),
                    "is_json": True,
                }
            ],
        },
    }


def _poisoned_skops(model: object, marker: Path) -> bytes:
    """A genuine estimator's skops file with one attribute (C) replaced by a call to exec."""
    import skops.io

    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(model))) as source:
        files = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(files["schema.json"])
    attributes = schema["content"]["content"]
    assert "C" in attributes
    attributes["C"] = _exec_node(marker)
    files["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in files.items():
            target.writestr(name, data)
    return out.getvalue()


def hostile_folder(kind: str, folder: Path, marker: Path, genuine: object) -> Path:
    """An MLflow model folder whose loading, MLflow's way, runs code that writes `marker`."""
    import mlflow.sklearn

    metadata = {"task": "claims"}
    if kind in ("pickle", "cloudpickle"):
        mlflow.sklearn.save_model(
            Payload(marker), folder, serialization_format=kind, metadata=metadata, pip_requirements=["x"]
        )
    else:
        mlflow.sklearn.save_model(
            genuine,
            folder,
            serialization_format="skops",
            skops_trusted_types=[*SKOPS_TRUSTED_TYPES, "builtins.exec"],
            metadata=metadata,
            pip_requirements=["x"],
        )
        (folder / "model.skops").write_bytes(_poisoned_skops(genuine, marker))
    return folder


def _log_folder(folder: Path, experiment_id: str) -> str:
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifacts(str(folder), "model")
    return f"runs:/{run.info.run_id}/model"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A sqlite store with a model trained by `toolkit train` and hostile models logged beside it."""
    import mlflow
    import mlflow.sklearn

    root = tmp_path_factory.mktemp("safety")
    articles = [(f"en-{i}", "en", text) for i, text in enumerate(EN)] + [
        (f"fr-{i}", "fr", text) for i, text in enumerate(FR)
    ]
    export = root / "export.json"
    export.write_text(json.dumps(make_export(articles), ensure_ascii=False))
    data = root / "data"
    build_dataset([export], data, validation_fraction=0.2, test_fraction=0.2)
    experiment = root / "genuine.toml"
    experiment.write_text(EXPERIMENT)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    markers = root / "markers"
    markers.mkdir()
    raw = root / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "Globex is in early talks to buy Initech, people familiar with the matter said.\n"
    )
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(raw), "--output", str(root / "articles.jsonl")])
    assert ingested.exit_code == 0, ingested.output

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        trained = runner.invoke(app, ["train", str(experiment), "--data", str(data)])
        assert trained.exit_code == 0, trained.output
        genuine_uri = next(
            line.split("model: ", 1)[1].strip() for line in trained.output.splitlines() if "model: " in line
        )
        genuine = load_model(genuine_uri).model
        experiment_id = mlflow.get_experiment_by_name("toolkit-claims").experiment_id
        uris = {
            kind: _log_folder(
                hostile_folder(kind, root / "folders" / kind, markers / kind, genuine), experiment_id
            )
            for kind in HOSTILE
        }
        # What an attacker with write access to a shared registry would do: log, register, take the alias.
        with mlflow.start_run(experiment_id=experiment_id):
            info = mlflow.sklearn.log_model(
                Payload(markers / "registered"),
                name="model",
                serialization_format="pickle",
                metadata={"task": "claims"},
                pip_requirements=["x"],
                registered_model_name="toolkit-claims",
            )
        mlflow.MlflowClient().set_registered_model_alias(
            "toolkit-claims", "champion", str(info.registered_model_version)
        )
    assert not any(markers.iterdir())
    return {
        "uri": uri,
        "root": root,
        "data": data,
        "articles": root / "articles.jsonl",
        "markers": markers,
        "genuine_uri": genuine_uri,
        "genuine": genuine,
        "hostile": uris,
    }


@pytest.fixture
def store(world, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", world["uri"])
    yield world
    assert not any(world["markers"].iterdir()), "a model's code ran"


def _refused(message: str, uri: str, reason: str) -> None:
    assert message.count("\n") == 0, message
    assert message.startswith(f"{uri}: ") and reason in message, message


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_payloads_are_real_mlflow_itself_runs_them(kind, world, tmp_path):
    """The control: loaded MLflow's way, each hostile folder writes its marker. The refusals below mean something."""
    import mlflow.sklearn

    marker = tmp_path / "ran"
    folder = hostile_folder(kind, tmp_path / "model", marker, world["genuine"])
    # The payload replaces the model; whether MLflow then fails does not matter.
    with contextlib.suppress(Exception):
        mlflow.sklearn.load_model(str(folder))
    assert marker.read_text() == "code ran"


@pytest.mark.parametrize("kind", HOSTILE)
def test_load_model_refuses_in_one_line(kind, store):
    uri = store["hostile"][kind]
    with pytest.raises(ToolkitError) as refused:
        load_model(uri)
    _refused(str(refused.value), uri, REASONS[kind])


def test_a_registered_alias_to_a_pickle_is_refused(store):
    with pytest.raises(ToolkitError) as refused:
        load_model("models:/toolkit-claims@champion")
    _refused(str(refused.value), "models:/toolkit-claims@champion", REASONS["pickle"])


@pytest.mark.parametrize("kind", HOSTILE)
def test_predict_evaluate_and_export_refuse_with_exit_1(kind, store, tmp_path):
    uri = store["hostile"][kind]
    output = tmp_path / "out.jsonl"
    commands = {
        "predict": ["predict", uri, str(store["articles"]), "--output", str(output)],
        "evaluate": ["evaluate", uri, str(store["data"]), "--output", str(output)],
        "export": ["export", str(store["articles"]), "--dry-run", "-o", str(output), "--predictions", uri],
    }
    for name, args in commands.items():
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (name, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1, (name, result.output)
        _refused(result.output.removeprefix("error: ").rstrip("\n"), uri, REASONS[kind])
        assert "Traceback" not in result.output and not output.exists(), name


def test_a_model_from_toolkit_train_loads_and_predicts(store, tmp_path):
    loaded = load_model(store["genuine_uri"])
    assert loaded.task == "claims" and type(loaded.model).__name__ == "ClaimClassifier"
    assert loaded.version == f"run {store['genuine_uri'].removeprefix('runs:/')[:8]}"
    output = tmp_path / "predictions.jsonl"
    predicted = CliRunner().invoke(
        app, ["predict", store["genuine_uri"], str(store["articles"]), "-o", str(output)]
    )
    assert predicted.exit_code == 0, predicted.output
    row = json.loads(output.read_text().splitlines()[0])
    assert row["model_version"] == loaded.version
    evaluated = CliRunner().invoke(app, ["evaluate", store["genuine_uri"], str(store["data"])])
    assert evaluated.exit_code == 0, evaluated.output
    assert "macro_f1" in json.loads(evaluated.output.splitlines()[0])


def _genuine_folder(store, tmp_path: Path) -> Path:
    import mlflow

    return Path(
        mlflow.artifacts.download_artifacts(artifact_uri=store["genuine_uri"], dst_path=str(tmp_path))
    )


def _edit_mlmodel(folder: Path, edit) -> None:  # noqa: ANN001
    path = folder / "MLmodel"
    conf = yaml.safe_load(path.read_text())
    edit(conf)
    path.write_text(yaml.safe_dump(conf))


def test_the_folders_own_trusted_types_are_ignored(store, tmp_path):
    """A genuine model whose MLmodel trusts nothing still loads: our list decides, not the folder's."""
    folder = _genuine_folder(store, tmp_path)
    _edit_mlmodel(folder, lambda conf: conf["flavors"]["sklearn"].update(skops_trusted_types=[]))
    loaded = load_model(str(folder))
    assert type(loaded.model).__name__ == "ClaimClassifier" and loaded.version == str(folder)


def _set(key: str, value):  # noqa: ANN001, ANN202
    return lambda conf: conf["flavors"]["sklearn"].__setitem__(key, value)


@pytest.mark.parametrize(
    ("edit", "payload", "reason"),
    [
        # MLmodel says skops but the file is a pickle: skops cannot read it, nothing is unpickled.
        (None, "pickle-as-skops", "refused: model.skops is not a readable skops file"),
        (_set("serialization_format", "pickle"), None, "serialized with 'pickle'"),
        (
            lambda conf: conf["flavors"]["sklearn"].pop("serialization_format"),
            None,
            "serialized with 'pickle'",
        ),
        (
            _set("pickled_model", "../../outside.skops"),
            None,
            "model file '../../outside.skops' is not a file",
        ),
        (
            lambda conf: conf["flavors"].pop("sklearn"),
            None,
            "not a scikit-learn model (flavours: 'python_function')",
        ),
        (lambda conf: conf.pop("metadata"), None, "not a toolkit model (its metadata names no task)"),
        (
            lambda conf: conf["metadata"].update(task="entities"),
            None,
            "holds ClaimClassifier, not EntityTagger",
        ),
        (_set("serialization_format", "skops\nsecond line"), None, "serialized with 'skops\\nsecond line'"),
    ],
)
def test_other_foreign_folders_are_refused_in_one_line(store, tmp_path, edit, payload, reason):
    folder = _genuine_folder(store, tmp_path)
    (tmp_path / "outside.skops").write_bytes((folder / "model.skops").read_bytes())
    if edit:
        _edit_mlmodel(folder, edit)
    if payload:
        import pickle

        (folder / "model.skops").write_bytes(pickle.dumps(Payload(store["markers"] / "pickle-as-skops")))
    with pytest.raises(ToolkitError) as refused:
        load_model(str(folder))
    _refused(str(refused.value), str(folder), reason)


def test_a_plain_sklearn_estimator_is_not_a_toolkit_model(store, tmp_path):
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path / "plain"
    model = LogisticRegression().fit(np.array([[0.0], [1.0]]), ["a", "b"])
    mlflow.sklearn.save_model(model, folder, metadata={"task": "claims"}, pip_requirements=["x"])
    with pytest.raises(ToolkitError) as refused:
        load_model(str(folder))
    _refused(str(refused.value), str(folder), "holds LogisticRegression, not ClaimClassifier")


def test_the_trusted_types_are_classes_of_ours_or_scikit_learn():
    assert SKOPS_TRUSTED_TYPES, "an empty list would still refuse our own estimators"
    for name in SKOPS_TRUSTED_TYPES:
        assert name.startswith(("toolkit.models.", "sklearn.", "pathlib.")), name
        assert not name.startswith(("builtins.", "operator.", "os.", "subprocess.")), name


def test_a_missing_model_is_one_line(store):
    uri = f"runs:/{'0' * 32}/model"
    with pytest.raises(ToolkitError) as refused:
        load_model(uri)
    _refused(str(refused.value), uri, "cannot load the model")
