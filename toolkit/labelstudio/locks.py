"""One `toolkit export` or `toolkit pull` at a time per project: a lock file in the project's snapshot folder.

The lock is an advisory `flock` on `<folder>/.lock`, which holds the holder's PID, host, command and start time
so that a second run can say who holds it. The kernel releases a flock when its process dies, however it dies
(kill -9 included): a lock left by a dead run is recovered at once, and a PID written by a dead run is never
mistaken for a live holder. A second run waits up to `wait` seconds, then refuses with one line.

The holder removes the file (and the folder, when nothing else is in it) on release. A waiter that then gets
the flock on the removed file notices that the path no longer leads to its file and starts again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from toolkit.errors import ToolkitError

__all__ = ["LOCK_NAME", "DEFAULT_WAIT", "project_lock", "pid_alive", "lock_holder"]

LOCK_NAME = ".lock"
DEFAULT_WAIT = 60.0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def lock_holder(path: Path) -> dict:
    """What the lock file says about its holder ({} when unreadable or being written)."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another run"
    since = holder.get("started", "?")
    return f"`toolkit {holder.get('command', '?')}` (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {since})"


def _try_lock(path: Path) -> int | None:
    """An fd holding the flock on the file at `path` (created if needed), or None if someone else holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:  # the holder removed the empty folder between our mkdir and open
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        same = False
    if not same:  # the previous holder removed the file after we opened it: ours is an orphan
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def project_lock(
    folder: Path, command: str, *, wait: float = DEFAULT_WAIT, poll: float = 0.1
) -> Iterator[Path]:
    """Hold `<folder>/.lock` for the block; wait up to `wait` s for another holder, then raise ToolkitError."""
    path = folder / LOCK_NAME
    deadline = time.monotonic() + wait
    while (fd := _try_lock(path)) is None:
        if time.monotonic() >= deadline:
            holder = lock_holder(path)
            raise ToolkitError(
                f"{folder} is locked by {_describe(holder)}; waited {wait:g} s: "
                "run again when it has finished (a lock whose process has ended is taken over at once)"
            )
        time.sleep(poll)
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # releases the flock; a waiter on the removed file sees it is gone and starts again
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty: a push leaves no trace in annotations/exports
