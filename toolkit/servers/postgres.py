"""A PostgreSQL cluster in a project folder: initdb, start and stop by PID, create databases.

It runs Debian's `postgresql` binaries (found under /usr/lib/postgresql/<version>/bin, or on PATH), listens on
127.0.0.1 only, keeps its Unix socket inside its own data dir (never /var/run/postgresql), and asks for a
password (scram-sha-256) on every TCP connection. PostgreSQL refuses to run as root: when we are root, the
cluster belongs to the `postgres` system user that the Debian package creates, and every server command runs
as that user; its folder must then be reachable by that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.servers._process import alive, port_busy

__all__ = [
    "Cluster",
    "find_binaries",
    "init_cluster",
    "start_cluster",
    "stop_cluster",
    "create_database",
    "cluster_status",
]

SUPERUSER = "toolkit"
LOG_FILE = "postgres.log"
SYSTEM_USER = "postgres"


@dataclass(frozen=True)
class Cluster:
    data_dir: Path
    port: int
    pid: int
    started: bool
    seconds: float

    def url(self, database: str, password: str, driver: str = "postgresql") -> str:
        return f"{driver}://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"


def find_binaries() -> Path | None:
    """The folder of initdb, pg_ctl and postgres (newest Debian version first), or None when not installed."""
    for folder in sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True
    ):
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found and shutil.which("initdb") else None


def _binaries() -> Path:
    folder = find_binaries()
    if folder is None:
        raise ToolkitError("PostgreSQL is not installed: run `make stack` (it installs Debian's postgresql)")
    return folder


def _as_owner() -> list[str]:
    """The prefix that runs a server command as the cluster's owner: ourselves, or `postgres` when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise ToolkitError("running as root and there is no `postgres` user to own the cluster") from None
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise ToolkitError(f"{what} failed: {lines[-1]}")


def init_cluster(data_dir: Path, password: str) -> bool:
    """initdb into `data_dir` (superuser `toolkit` with `password`) unless it holds a cluster; True when created."""
    data_dir = Path(data_dir).resolve()
    if (data_dir / "PG_VERSION").exists():
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    prefix = _as_owner()
    if prefix:
        owner = pwd.getpwnam(SYSTEM_USER)
        os.chown(data_dir, owner.pw_uid, owner.pw_gid)
        probe = subprocess.run([*prefix, "test", "-w", str(data_dir)], check=False)
        if probe.returncode != 0:
            raise ToolkitError(
                f"{data_dir}: the `postgres` user cannot reach this folder (a parent folder is private)"
            )
    os.chmod(data_dir, 0o700)
    # The password goes through a file only the owner reads, never a command line.
    with tempfile.NamedTemporaryFile("w", dir=data_dir.parent, delete=False) as handle:
        handle.write(password + "\n")
    pwfile = Path(handle.name)
    try:
        if prefix:
            os.chown(pwfile, pwd.getpwnam(SYSTEM_USER).pw_uid, -1)
        os.chmod(pwfile, 0o600)
        _run(
            [
                *prefix,
                str(_binaries() / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],  # fmt: skip
            "initdb",
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with open(data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# toolkit: loopback only, socket in the data dir\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{data_dir}'\n"
        )
    return True


def cluster_status(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) from postmaster.pid while that postgres runs, else None."""
    try:
        lines = (Path(data_dir) / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return (pid, port) if alive(pid, b"postgres") else None


def start_cluster(data_dir: Path, port: int, *, timeout: float = 60.0) -> Cluster:
    """pg_ctl start the cluster in `data_dir` on 127.0.0.1:`port`; a running one is returned as is."""
    began = time.monotonic()
    data_dir = Path(data_dir).resolve()
    running = cluster_status(data_dir)
    if running is not None:
        return Cluster(data_dir, running[1], running[0], False, 0.0)
    if port_busy(port):
        raise ToolkitError(
            f"port {port} on 127.0.0.1 is already in use; set STACK_POSTGRES_PORT to another port"
        )
    log = data_dir / LOG_FILE
    _run(
        [
            *_as_owner(),
            str(_binaries() / "pg_ctl"),
            "start",
            "-D",
            str(data_dir),
            "-l",
            str(log),
            "-w",
            "-t",
            str(int(timeout)),
            "-o",
            f"-p {port}",
        ],  # fmt: skip
        f"starting PostgreSQL (see {log})",
    )
    running = cluster_status(data_dir)
    if running is None:
        raise ToolkitError(f"PostgreSQL started and stopped at once; see {log}")
    return Cluster(data_dir, running[1], running[0], True, time.monotonic() - began)


def stop_cluster(data_dir: Path, timeout: float = 30.0) -> int | None:
    """Stop the postgres in `data_dir`'s postmaster.pid (SIGINT: fast shutdown; SIGKILL after `timeout`).

    Returns the PID it stopped, or None when nothing ran. Its worker processes exit with it.
    """
    running = cluster_status(Path(data_dir))
    if running is None:
        return None
    pid = running[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while alive(pid, b"postgres") and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid, b"postgres"):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    return pid


def create_database(cluster: Cluster, name: str, password: str) -> bool:
    """CREATE DATABASE `name` when it does not exist yet; True when created."""
    base, env = _client("psql", cluster, password, "postgres")
    query = subprocess.run(
        [*base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if query.returncode != 0:
        lines = query.stderr.strip().splitlines() or ["no output"]
        raise ToolkitError(f"connecting to PostgreSQL on port {cluster.port} failed: {lines[-1]}")
    if query.stdout.strip() == "1":
        return False
    _run([*base, "-c", f'CREATE DATABASE "{name}"'], f"creating database {name}", env)
    return True


def _client(tool: str, cluster: Cluster, password: str, database: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
    return [
        str(_binaries() / tool),
        "-h",
        "127.0.0.1",
        "-p",
        str(cluster.port),
        "-U",
        SUPERUSER,
        "-d",
        database,
    ], env


def dump_database(cluster: Cluster, name: str, password: str, path: Path) -> None:
    """pg_dump database `name` into `path` (custom format), written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    command, env = _client("pg_dump", cluster, password, name)
    try:
        _run([*command, "--format=custom", "--no-owner", "-f", str(partial)], f"dumping database {name}", env)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def restore_database(cluster: Cluster, name: str, password: str, path: Path) -> None:
    """pg_restore a dump of `dump_database` into the (empty) database `name`."""
    command, env = _client("pg_restore", cluster, password, name)
    _run(
        [*command, "--no-owner", "--exit-on-error", str(path)], f"restoring database {name} from {path}", env
    )
