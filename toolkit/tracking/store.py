"""Every MLflow call the toolkit makes: where runs go, what a run records about its provenance.

The tracking URI is always set explicitly: the caller's, else MLFLOW_TRACKING_URI, else a sqlite store in the
current directory (MLflow's own default silently switches to an old ./mlruns file store when one exists).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

__all__ = [
    "resolve_tracking_uri",
    "use_tracking",
    "experiment_id_for",
    "experiment_tags",
    "runs_page",
    "git_state",
    "package_versions",
    "snapshot_tags",
    "guidelines_tags",
    "provenance_tags",
    "registered_model_name",
    "model_version_label",
]

DEFAULT_STORE = "mlflow.db"
ARTIFACTS = "mlartifacts"
# MLflow 3.17's UI reads these experiment tags. The kind marks a model-training experiment (the UI's own "Machine
# learning" choice); the primary metric leads the charts; a saved view (`mlflow.sharedViewState.<key>`, opened by
# `?viewStateShareKey=<key>`) is the only way its runs table shows metric columns without picking them by hand.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
PRIMARY_METRIC_TAG = "mlflow.experiment.primaryMetric.name"
VIEW_KEY = "headline"
VIEW_TAG = f"mlflow.sharedViewState.{VIEW_KEY}"


def resolve_tracking_uri(explicit: str | None = None) -> str:
    """The explicit URI, else $MLFLOW_TRACKING_URI, else MLFLOW_TRACKING_URI in ./.env (where `make stack` writes
    it), else the project's own sqlite store."""
    from toolkit.io import read_env_file

    uri = (
        explicit or os.environ.get("MLFLOW_TRACKING_URI") or read_env_file(".env").get("MLFLOW_TRACKING_URI")
    )
    return uri or f"sqlite:///{Path.cwd() / DEFAULT_STORE}"


def _artifact_root(uri: str) -> str | None:
    """Beside a sqlite store, an `mlartifacts` folder; a tracking server decides for itself."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).parent / ARTIFACTS).resolve().as_uri()
    return None


def use_tracking(uri: str | None = None, *, must_exist: bool = False) -> str:
    """Point MLflow at `uri` (resolved as above) and return it."""
    import mlflow

    # Loading a model draws a progress bar per artifact on stderr: noise around our one-line summaries.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    resolved = resolve_tracking_uri(uri)
    if "://" not in resolved or resolved.startswith("file:"):
        # MLflow 3 refuses its file store by default, with a page of explanation; say it in one line.
        raise ToolkitError(
            f"tracking URI {resolved!r} is a folder (MLflow's retired file store): use sqlite:///PATH/mlflow.db "
            "or the http:// address of an MLflow server"
        )
    if resolved.startswith("sqlite:///"):
        store = Path(resolved.removeprefix("sqlite:///"))
        if must_exist and not store.is_file():
            # Reading commands must not leave an empty store behind in whatever folder they ran from.
            raise ToolkitError(
                f"no MLflow store at {store}: run `make train` in the project folder first, "
                "or point MLFLOW_TRACKING_URI / --tracking-uri at your store"
            )
        store.parent.mkdir(parents=True, exist_ok=True)
    elif resolved.startswith(("http://", "https://")):
        _check_server(resolved)
    mlflow.set_tracking_uri(resolved)
    return resolved


def _check_server(uri: str, timeout: float = 5.0) -> None:
    """One quick look at a tracking server: MLflow's own client retries for minutes before it gives up."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answers: a proxy or an older server without /health; MLflow will say what is wrong
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ToolkitError(
            f"MLflow server at {uri} is not answering ({reason}); start it with `make mlflow-server`"
        ) from None


def _column(kind: str, name: str) -> str:
    """A runs-table column key as the MLflow UI writes it: metrics.`test.macro_f1`."""
    return f"{kind}.`{name}`"


def experiment_tags(task: str, headline: str) -> dict[str, str]:
    """What makes the MLflow UI open a task's experiment on its runs, headline scores and descriptions in view.

    The saved view lists the runs best first by validation `headline` (every run has it), with columns for the
    transfer score `toolkit runs select` chooses by (our validation headline averaged with the public corpora's,
    `toolkit.training.judges`), validation and test, each run's description, its dataset and model (the same
    JSON envelope the UI writes when a user saves a view).
    """
    transfer, validation, test = (
        f"validation.transfer.{headline}",
        f"validation.{headline}",
        f"test.{headline}",
    )
    state = {
        "searchFilter": "",
        "orderByKey": _column("metrics", validation),
        "orderByAsc": False,
        "startTime": "ALL",
        "lifecycleFilter": "Active",
        "datasetsFilter": [],
        "modelVersionFilter": "All Runs",
        "selectedColumns": [
            _column("metrics", transfer),
            _column("metrics", validation),
            _column("metrics", test),
            _column("attributes", "Description"),
            _column("attributes", "Dataset"),
            _column("attributes", "Models"),
        ],
    }
    view = {
        "name": f"Headline scores ({transfer}, {validation}, {test})",
        "createdAt": 0,
        "updatedAt": 0,
        "state": json.dumps(state),
    }
    note = (
        f"Runs of `toolkit train` for the {task} task, one per experiment file and dataset version. "
        f"Choose on {transfer} (ours and the public dev sets present; {validation} without them), report "
        f'{test}: the view "{view["name"]}" shows the three columns.'
    )
    return {
        **EXPERIMENT_KIND,
        PRIMARY_METRIC_TAG: validation,
        VIEW_TAG: json.dumps(view),
        "mlflow.note.content": note,
    }


def runs_page(base_url: str, experiment_id: str) -> str:
    """The address of an experiment's runs table in model-training mode, with the headline saved view.

    MLflow 3.17 picks GenAI or model-training pages from a per-browser switch (default GenAI), not from the
    experiment: `workflowType=machine_learning` in the address is what makes a fresh browser land on the runs.
    """
    query = f"workflowType=machine_learning&viewStateShareKey={VIEW_KEY}"
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?{query}"


def experiment_id_for(name: str, uri: str, tags: dict[str, str] | None = None) -> str:
    """The id of MLflow experiment `name`, created (with artifacts beside a sqlite store) when missing.

    `tags` are set on a new experiment, and on an existing one where they differ (stores made before them).
    """
    import mlflow

    tags = tags or {}
    try:
        existing = mlflow.get_experiment_by_name(name)
        if existing is None:
            root = _artifact_root(uri)
            return mlflow.create_experiment(
                name, artifact_location=f"{root}/{name}" if root else None, tags=tags
            )
        client = mlflow.MlflowClient()
        for key, value in tags.items():
            # A description someone wrote in the UI stays; our own settings follow the code.
            if key == "mlflow.note.content" and key in existing.tags:
                continue
            if existing.tags.get(key) != value:
                client.set_experiment_tag(existing.experiment_id, key, value)
        return existing.experiment_id
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(f"MLflow tracking at {uri}: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise ToolkitError(f"MLflow tracking at {uri} is unreachable ({exc})") from None


def git_state(directory: Path | None = None) -> dict[str, str]:
    """The commit and whether the work tree differs from it; empty when not in a git checkout."""
    cwd = directory or Path.cwd()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"git.commit": commit, "git.dirty": str(dirty).lower(), "mlflow.source.git.commit": commit}


def package_versions() -> dict[str, str]:
    names = ("toolkit", "scikit-learn", "numpy", "scipy", "datasets", "mlflow", "skops", "label-studio-sdk")
    versions = {}
    for name in names:
        try:
            versions[f"version.{name}"] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def snapshot_tags(manifest: dict[str, Any]) -> dict[str, str]:
    """The Label Studio project(s) and snapshot files a dataset was built from.

    `toolkit pull` writes annotations/exports/<project>/<snapshot>.json: the folder names the project. An export
    kept anywhere else is listed with an empty project.
    """
    snapshots = []
    for source in manifest.get("sources", []):
        path = Path(source["path"])
        project = path.parent.name if path.parent.parent.name == "exports" else ""
        snapshots.append({"project": project, "snapshot": path.name, "sha256": source.get("sha256", "")})
    projects = sorted({snapshot["project"] for snapshot in snapshots if snapshot["project"]})
    return {
        "labelstudio.projects": ",".join(projects) or "(none)",
        "labelstudio.snapshots": json.dumps(snapshots, separators=(",", ":")),
    }


def guidelines_tags(path: Path) -> dict[str, str]:
    """The annotation guidelines' sha256 and their latest "Guidelines version N" (empty when absent)."""
    if not path.is_file():
        return {"guidelines.sha256": "", "guidelines.version": ""}
    content = path.read_bytes()
    versions = [int(n) for n in re.findall(rb"Guidelines version (\d+)", content)]
    return {
        "guidelines.sha256": hashlib.sha256(content).hexdigest(),
        "guidelines.version": str(max(versions)) if versions else "",
    }


def provenance_tags(manifest: dict[str, Any], guidelines: Path) -> dict[str, str]:
    """What a run was made from: dataset hash, Label Studio snapshots, schema, guidelines, git state, versions.

    Environment variables are never read here: the Label Studio API key must not reach a run.
    """
    return {
        "dataset.content_hash": manifest["content_hash"],
        "dataset.version": manifest["version"],
        "dataset.sources": json.dumps([source["path"] for source in manifest.get("sources", [])]),
        "dataset.split_seed": str(manifest.get("seed", "")),
        **snapshot_tags(manifest),
        "schema.sha256": manifest.get("schema_digest") or "",
        **guidelines_tags(guidelines),
        **git_state(),
        **package_versions(),
    }


def registered_model_name(task: str) -> str:
    """The registry name of a task's models: what `models:/NAME@champion` refers to."""
    return f"toolkit-{task}"


def model_version_label(model_uri: str) -> str:
    """A readable, stable name for the model behind a URI: `toolkit-claims v3` or `run 1a2b3c4d`."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    try:
        if model_uri.startswith("models:/"):
            reference = model_uri.removeprefix("models:/")
            if "@" in reference:
                name, alias = reference.split("@", 1)
                version = client.get_model_version_by_alias(name, alias)
                return f"{name} v{version.version}"
            name, _, version = reference.partition("/")
            if version == "latest":
                # "latest" moves: name the version it means now, or `export` would take a later model's
                # predictions for ones it already sent.
                newest = client.search_model_versions(
                    f"name = '{name}'", order_by=["version_number DESC"], max_results=1
                )
                if not newest:
                    raise ToolkitError(f"{model_uri}: registered model {name!r} has no version")
                version = newest[0].version
            return f"{name} v{version}" if version else name
    except mlflow.exceptions.MlflowException as exc:
        raise ToolkitError(f"{model_uri}: {str(exc).splitlines()[0]}") from None
    if model_uri.startswith("runs:/"):
        return f"run {model_uri.removeprefix('runs:/').split('/', 1)[0][:8]}"
    return model_uri


def run_params(values: dict[str, Any]) -> dict[str, str]:
    """MLflow keeps params as strings of at most 6000 characters."""
    return {key: str(value)[:6000] for key, value in values.items()}
