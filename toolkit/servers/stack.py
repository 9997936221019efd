"""A team stack in one folder: `python -m toolkit.servers.stack start|stop|status` (`make stack`, `make stack-stop`).

Three servers, all on 127.0.0.1, all under the stack's folder (`.stack/` by default, git-ignored):
PostgreSQL (`pg/`, with the databases `labelstudio` and `mlflow`), Label Studio on PostgreSQL (`labelstudio/`
for its media and secret key) and an MLflow tracking server whose runs and registry live in PostgreSQL and whose
artifacts it serves itself from `mlflow/artifacts/`. Each is started and stopped by the module that owns it
(postgres, labelstudio, mlflow); this one only orders them and writes where they are into .env: LABEL_STUDIO_URL,
LABEL_STUDIO_API_KEY and MLFLOW_TRACKING_URI, so every toolkit command works against the stack unchanged.
The database password is generated into .env (STACK_POSTGRES_PASSWORD) and never printed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.io import read_env_file
from toolkit.servers import labelstudio, mlflow, postgres
from toolkit.servers._process import port_setting

__all__ = ["Stack", "StackPorts", "start_stack", "stop_stack", "stack_status", "set_env_values", "main"]

ROOT = Path(".stack")
DRIVER = Path(".cache/stack-driver")
TEMPLATES = Path(".cache/stack-template")
DEFAULT_POSTGRES_PORT = 5433
PASSWORD_KEY = "STACK_POSTGRES_PASSWORD"


@dataclass(frozen=True)
class StackPorts:
    postgres: int = DEFAULT_POSTGRES_PORT
    labelstudio: int = labelstudio.DEFAULT_PORT
    mlflow: int = mlflow.DEFAULT_PORT


@dataclass(frozen=True)
class Stack:
    root: Path
    postgres: postgres.Cluster
    labelstudio: labelstudio.Server
    mlflow: mlflow.Server
    credentials: labelstudio.Credentials
    generated: tuple[str, ...]


def set_env_values(env_file: Path, values: dict[str, str]) -> None:
    """Set KEY=value lines in `env_file` (replacing earlier ones, keeping the rest); mode 600."""
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.exists() else []
    kept = [line for line in lines if line.split("=", 1)[0].strip() not in values]
    handle = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write("\n".join([*kept, *(f"{key}={value}" for key, value in values.items())]) + "\n")
    os.chmod(env_file, 0o600)


def _password(env_file: Path) -> tuple[str, bool]:
    value = os.environ.get(PASSWORD_KEY) or read_env_file(env_file).get(PASSWORD_KEY)
    if value:
        return value, False
    value = secrets.token_urlsafe(18)
    set_env_values(env_file, {PASSWORD_KEY: value})
    return value, True


def ports_from_env(env_file: Path) -> StackPorts:
    stored = read_env_file(env_file)
    return StackPorts(
        postgres=port_setting(
            "STACK_POSTGRES_PORT", DEFAULT_POSTGRES_PORT, stored.get("STACK_POSTGRES_PORT")
        ),
        labelstudio=port_setting(
            "LABEL_STUDIO_PORT", labelstudio.DEFAULT_PORT, stored.get("LABEL_STUDIO_PORT")
        ),
        mlflow=port_setting("MLFLOW_SERVER_PORT", mlflow.DEFAULT_PORT, stored.get("MLFLOW_SERVER_PORT")),
    )


def start_stack(
    root: Path = ROOT,
    env_file: Path = Path(".env"),
    ports: StackPorts | None = None,
    *,
    ls_venv: Path = labelstudio.LS_VENV,
    driver: Path = DRIVER,
    templates: Path = TEMPLATES,
) -> Stack:
    """Start PostgreSQL, then Label Studio and MLflow on it; write their URLs and the API key into `env_file`.

    Servers already running for this folder are kept. When one fails to start, the ones this call started are
    stopped again, so a failed start leaves nothing running.
    """
    root, env_file = Path(root).resolve(), Path(env_file)
    ports = ports or ports_from_env(env_file)
    if not (driver / "psycopg").is_dir():
        raise ToolkitError(f"{driver}: no PostgreSQL driver for the MLflow server; run `make stack-driver`")
    password, new_password = _password(env_file)
    credentials = labelstudio.load_credentials(env_file)
    generated = ((PASSWORD_KEY,) if new_password else ()) + credentials.generated
    postgres.init_cluster(root / "pg", password)
    cluster = postgres.start_cluster(root / "pg", ports.postgres)
    started: list[str] = ["postgres"] if cluster.started else []
    try:
        postgres.create_database(cluster, "mlflow", password)
        database = {
            "DJANGO_DB": "default", "POSTGRE_NAME": "labelstudio", "POSTGRE_USER": postgres.SUPERUSER,
            "POSTGRE_PASSWORD": password, "POSTGRE_HOST": "127.0.0.1", "POSTGRE_PORT": str(cluster.port),
        }  # fmt: skip
        _labelstudio_database(cluster, password, database, root / "labelstudio", ls_venv, templates)
        ls = labelstudio.start_server(
            root / "labelstudio", ports.labelstudio, credentials, venv=ls_venv, database=database, timeout=300
        )
        if ls.started:
            started.append("labelstudio")
        tracking = mlflow.start_server(
            root / "mlflow",
            ports.mlflow,
            backend_store_uri=cluster.url("mlflow", password, driver="postgresql+psycopg"),
            python_path=driver,
            timeout=120,
        )
    except BaseException:
        _stop(root, started)
        raise
    set_env_values(
        env_file,
        {
            "LABEL_STUDIO_URL": ls.url,
            "LABEL_STUDIO_PORT": str(ls.port),
            "LABEL_STUDIO_API_KEY": credentials.api_key,
            "MLFLOW_TRACKING_URI": tracking.url,
        },
    )
    return Stack(root, cluster, ls, tracking, credentials, generated)


def _labelstudio_database(
    cluster: postgres.Cluster,
    password: str,
    database: dict[str, str],
    data_dir: Path,
    venv: Path,
    templates: Path,
) -> None:
    """Create Label Studio's database with its ~260 migrations applied, from a dump made once per version.

    Migrating a new database takes a minute and more; restoring the dump, a few seconds. The dump is taken
    right after `label-studio version` has migrated (it creates no user), so it holds no account and no secret.
    """
    if not postgres.create_database(cluster, "labelstudio", password):
        return  # an existing database: Label Studio applies any missing migration itself when it starts
    dump = templates / f"labelstudio-{labelstudio._version(venv)}.pgdump"
    if dump.exists():
        postgres.restore_database(cluster, "labelstudio", password, dump)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    env = labelstudio._server_env(data_dir, None, database)
    try:
        done = subprocess.run(
            [str(labelstudio._executable(venv)), "version"],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise ToolkitError("migrating Label Studio's database took more than 600 s") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ToolkitError(f"migrating Label Studio's database failed: {last[0]}")
    postgres.dump_database(cluster, "labelstudio", password, dump)


def _stop(root: Path, which: list[str]) -> list[str]:
    """Stop the named servers of the stack in `root`, the databases' users first; the ones that were running."""
    stopped = []
    if "mlflow" in which and mlflow.stop_server(root / "mlflow").was_running:
        stopped.append("MLflow")
    if "labelstudio" in which and labelstudio.stop_server(root / "labelstudio").was_running:
        stopped.append("Label Studio")
    if "postgres" in which and postgres.stop_cluster(root / "pg") is not None:
        stopped.append("PostgreSQL")
    return stopped


def stop_stack(root: Path = ROOT) -> list[str]:
    """Stop every server of the stack in `root` (by the PIDs they recorded); the names of those that ran."""
    return _stop(Path(root).resolve(), ["mlflow", "labelstudio", "postgres"])


def stack_status(root: Path = ROOT) -> dict[str, str | None]:
    """Each server's URL while it runs, else None."""
    root = Path(root).resolve()
    ls, tracking = labelstudio.server_status(root / "labelstudio"), mlflow.server_status(root / "mlflow")
    running = postgres.cluster_status(root / "pg")
    return {
        "PostgreSQL": f"127.0.0.1:{running[1]}" if running else None,
        "Label Studio": ls.url if ls else None,
        "MLflow": tracking.url if tracking else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.servers.stack", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the stack's folder (default .stack)")
    parser.add_argument("--env-file", type=Path, default=Path(".env"))
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            stack = start_stack(args.root, args.env_file)
            pg, ls, tracking = stack.postgres, stack.labelstudio, stack.mlflow
            for name, server, seconds, pid in (
                ("PostgreSQL", f"127.0.0.1:{pg.port}", pg.seconds if pg.started else None, pg.pid),
                ("Label Studio", ls.url, ls.seconds if ls.started else None, ls.pid),
                ("MLflow", tracking.url, tracking.seconds if tracking.started else None, tracking.pid),
            ):
                state = f"started in {seconds:.1f} s" if seconds is not None else "already running"
                print(f"{name} is running at {server} ({state}, pid {pid})")
            print(
                f"Data in {args.root}/. LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY, MLFLOW_TRACKING_URI are in {args.env_file}."
            )
            print(
                f"Log in as {stack.credentials.username} with the password LABEL_STUDIO_PASSWORD from {args.env_file}."
            )
            if stack.generated:
                print(f"Generated {', '.join(stack.generated)} into {args.env_file} (not shown).")
        elif args.command == "stop":
            stopped = stop_stack(args.root)
            print(f"stopped {', '.join(stopped)}" if stopped else "the stack was not running")
        else:
            status = stack_status(args.root)
            for name, where in status.items():
                print(f"{name}: {where or 'not running'}")
            return 0 if all(status.values()) else 3
    except ToolkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
