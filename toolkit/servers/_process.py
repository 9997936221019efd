"""What starting and stopping a local server by PID needs: ports, PID files, and processes seen through /proc."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = [
    "free_port",
    "port_busy",
    "read_pid_file",
    "process_stat",
    "alive",
    "descendants",
    "port_setting",
    "wait_until_ready",
]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def read_pid_file(path: Path) -> dict | None:
    """The JSON record a server's PID file holds, or None when it is missing or unreadable."""
    try:
        record = json.loads(path.read_text())
        return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None
    except (OSError, ValueError):
        return None


def process_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, from /proc; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def alive(pid: int, command_marker: bytes | None = None) -> bool:
    """True while `pid` runs (not a zombie) and, given a marker, its command line holds it (not a recycled pid)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaps it if it is our own child that has exited
    stat = process_stat(pid)
    if stat is None or stat[0] in {"Z", "X"}:
        return False
    if command_marker is None:
        return True
    try:
        return command_marker in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every live process whose chain of parents leads to `pid` (servers that fork workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := process_stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[1]
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def port_setting(name: str, default: int, fallback: str | None = None) -> int:
    """The port in environment variable `name` (else `fallback`, else `default`), checked to be a number."""
    raw = os.environ.get(name) or fallback or default
    try:
        return int(raw)
    except ValueError:
        raise ToolkitError(f"{name} must be a port number, got {raw!r}") from None


def wait_until_ready(
    ready: Callable[[], bool],
    process: subprocess.Popen,
    *,
    name: str,
    url: str,
    log: Path,
    timeout: float,
    on_failure: Callable[[], object],
) -> None:
    """Poll `ready` until it holds; when the process exits or `timeout` passes, call `on_failure` and raise."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            on_failure()
            raise ToolkitError(f"{name} exited during startup (code {process.returncode}); see {log}")
        if time.monotonic() > deadline:
            on_failure()
            raise ToolkitError(f"{name} did not answer on {url}/health within {timeout:.0f} s; see {log}")
        time.sleep(0.2)
