"""The team stack (PostgreSQL, Label Studio on it, MLflow on it), started once in a temporary folder.

Skipped, saying why, when PostgreSQL's server or the MLflow server's driver is not installed (`make test` tries
to install both; a machine without root or apt cannot). Everything the stack started is stopped at the end, also
when the test fails, and the test checks that no process is left.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LS_VENV = ROOT / ".venv-labelstudio"
DRIVER = ROOT / ".cache" / "stack-driver"
TEMPLATES = ROOT / ".cache" / "stack-template"


def _skip_reason() -> str | None:
    from toolkit.servers.postgres import find_binaries

    if find_binaries() is None:
        return "PostgreSQL is not installed and could not be (make stack-deps installs Debian's postgresql as root)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL cannot run as root"
    if not (DRIVER / "psycopg").is_dir():
        return f"no PostgreSQL driver for MLflow in {DRIVER}: run `make stack-driver`"
    if not (LS_VENV / "bin" / "label-studio").exists():
        return f"{LS_VENV} has no label-studio: run `make label-studio-venv`"
    return None


@pytest.fixture(scope="session")
def stack_folder() -> Iterator[Path]:
    """A project-like folder for the stack. Not pytest's tmp_path: pytest keeps /tmp/pytest-of-<user> private
    (mode 700, reset at every session), and as root PostgreSQL runs as the `postgres` user, who must reach it."""
    if (reason := _skip_reason()) is not None:
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="toolkit-stack-"))
    os.chmod(folder, 0o711)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(stack_folder: Path) -> Iterator:
    from toolkit.servers._process import descendants, free_port
    from toolkit.servers.stack import StackPorts, start_stack, stop_stack

    ports = StackPorts(postgres=free_port(), labelstudio=free_port(), mlflow=free_port())
    root, env_file = stack_folder / ".stack", stack_folder / ".env"
    started = None
    try:
        started = start_stack(root, env_file, ports, ls_venv=LS_VENV, driver=DRIVER, templates=TEMPLATES)
        pids = {
            pid
            for server in (started.postgres, started.labelstudio, started.mlflow)
            for pid in (server.pid, *descendants(server.pid))
        }
        yield started, env_file, pids
    finally:
        stop_stack(root)
