"""Start and stop a local MLflow tracking server: `python -m toolkit.servers.mlflow start|stop|status|ui`.

`make mlflow-server` and the integration tests run this same code. The server listens on 127.0.0.1 only and
keeps everything under its root folder (`.mlflow-server/` by default, git-ignored): runs and the model registry
in a sqlite file, artifacts in a folder that the server itself serves, so clients upload and download through
it as they would with a remote server. `mlflow server` starts child processes (uvicorn and its worker): it runs
in a session of its own and is stopped by its PID, its process group and every descendant still alive.

`ui` (what `make ui` runs) serves the UI over the project's store in the foreground for one person browsing runs:
no job workers (MLflow's default starts eight, about 1.3 GB), one web worker, and on SIGTERM, SIGINT or SIGHUP the
server and its children are gone within a few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.servers._process import (
    alive,
    descendants,
    free_port,
    port_busy,
    port_setting,
    read_pid_file,
    wait_until_ready,
)

__all__ = [
    "Server",
    "StopResult",
    "DEFAULT_PORT",
    "ROOT",
    "start_server",
    "stop_server",
    "server_status",
    "ui_command",
    "serve_ui",
    "free_port",
    "main",
]

DEFAULT_PORT = 5050
ROOT = Path(".mlflow-server")
PID_FILE = "server.pid"
LOG_FILE = "server.log"
DATABASE = "mlflow.db"
ARTIFACTS = "artifacts"


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    pid: int
    root: Path
    started: bool
    seconds: float
    log: Path

    @property
    def tracking_uri(self) -> str:
        return self.url


@dataclass(frozen=True)
class StopResult:
    pid: int | None
    was_running: bool
    killed: bool = False
    processes: int = 0


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def server_status(root: Path = ROOT) -> Server | None:
    """The server recorded in `root`'s PID file when it is alive and healthy, else None."""
    root = Path(root)
    record = read_pid_file(root / PID_FILE)
    if record is None or not (alive(record["pid"], b"mlflow")):
        return None
    port = int(record["port"])
    url = f"http://127.0.0.1:{port}"
    if not _healthy(url):
        return None
    return Server(url, port, record["pid"], root, False, 0.0, root / LOG_FILE)


def _command(root: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--serve-artifacts", "--artifacts-destination", str((root / ARTIFACTS).resolve()),
    ]  # fmt: skip


def _server_env(
    root: Path | None = None, backend_store_uri: str | None = None, python_path: Path | None = None
) -> dict[str, str]:
    # The server picks its own stores; a client's tracking URI must not leak into it. The store URI goes through
    # the environment (mlflow server reads MLFLOW_BACKEND_STORE_URI), so a password in it stays off `ps`.
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    # Job execution is for GenAI scorers and trace jobs: eight worker processes nobody here uses.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    if root is not None:
        env["MLFLOW_BACKEND_STORE_URI"] = backend_store_uri or f"sqlite:///{(root / DATABASE).resolve()}"
    if python_path is not None:
        # A database driver installed beside the virtualenv (make stack-driver), not into it.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path.resolve()), env.get("PYTHONPATH")]))
    return env


# uvicorn otherwise waits for the UI's open polling connections before it exits.
_UVICORN_OPTS = "--timeout-graceful-shutdown 2"


def ui_command(store_uri: str, port: int) -> list[str]:
    """`mlflow server` over a store, browsing only: loopback, one worker, a short graceful shutdown."""
    return [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", store_uri, "--uvicorn-opts", _UVICORN_OPTS,
    ]  # fmt: skip


def _experiment_pages(url: str) -> list[tuple[str, str]]:
    """(name, runs page) of every experiment with runs in it, through the server's REST API."""
    from toolkit.tracking.store import runs_page

    request = urllib.request.Request(
        f"{url}/ajax-api/2.0/mlflow/experiments/search",
        data=json.dumps({"max_results": 100}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            experiments = json.load(response).get("experiments", [])
    except (urllib.error.URLError, OSError, ValueError):
        return []
    return [
        (experiment["name"], runs_page(url, experiment["experiment_id"]))
        for experiment in experiments
        if experiment["name"] != "Default"
    ]


def _stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM to the server's process group and every descendant; SIGKILL what is left after `grace`."""
    processes = [process.pid, *descendants(process.pid)]
    _signal_all(processes, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    if any(alive(p) for p in processes):
        _signal_all(processes, signal.SIGKILL)
    process.poll()


def serve_ui(store_uri: str, port: int, *, timeout: float = 60.0, out=print) -> int:  # noqa: ANN001
    """Serve the MLflow UI over `store_uri` on 127.0.0.1:`port` until a signal comes; print where to look.

    A signal only asks the server to stop (the handler must not wait: it may interrupt a wait); this loop then
    gives it a few seconds and kills what is left, children included.
    """
    if "://" not in store_uri or store_uri.startswith("file:"):
        raise ToolkitError(
            f"store {store_uri!r} is not a database URI: use sqlite:///PATH/mlflow.db (MLFLOW_TRACKING_URI)"
        )
    if port_busy(port):
        raise ToolkitError(f"port {port} on 127.0.0.1 is already in use; set MLFLOW_UI_PORT to another port")
    began = time.monotonic()
    process = subprocess.Popen(
        ui_command(store_uri, port), env=_server_env(), stdin=subprocess.DEVNULL, start_new_session=True
    )
    stopping: list[float] = []

    def stop(_signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(time.monotonic())
            _signal_all([process.pid, *descendants(process.pid)], signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    url, ready = f"http://127.0.0.1:{port}", False
    try:
        while process.poll() is None:
            if stopping:
                if time.monotonic() - stopping[0] > 5.0:
                    break
            elif not ready and _healthy(url, timeout=1.0):
                ready = True
                out(
                    f"MLflow UI on {url} over {store_uri} (ready in {time.monotonic() - began:.1f} s; Ctrl-C stops it)"
                )
                for name, page in _experiment_pages(url):
                    out(f"  {name}: {page}")
            elif not ready and time.monotonic() - began > timeout:
                raise ToolkitError(f"mlflow server did not answer on {url}/health within {timeout:.0f} s")
            time.sleep(0.1)
        if not ready and not stopping:
            raise ToolkitError(f"mlflow server exited during startup (code {process.returncode})")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_group(process, grace=0.0 if stopping else 5.0)  # also the uvicorn worker its parent left behind
    return 0 if stopping else process.returncode


def start_server(
    root: Path = ROOT,
    port: int = DEFAULT_PORT,
    *,
    timeout: float = 60.0,
    backend_store_uri: str | None = None,
    python_path: Path | None = None,
) -> Server:
    """Start `mlflow server` on 127.0.0.1:`port` with its stores under `root`; wait for /health.

    `backend_store_uri` replaces the sqlite file under `root` (a postgresql:// database, say); `python_path` is
    a folder put first on the server's PYTHONPATH (where its database driver is).

    An already running server for this root is returned as is (started=False).
    """
    began = time.monotonic()
    root = Path(root)
    running = server_status(root)
    if running is not None:
        return running
    if port_busy(port):
        raise ToolkitError(
            f"port {port} on 127.0.0.1 is already in use; set MLFLOW_SERVER_PORT to another port"
        )
    (root / ARTIFACTS).mkdir(parents=True, exist_ok=True)
    log_path = root / LOG_FILE
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            _command(root, port),
            env=_server_env(root, backend_store_uri, python_path),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (root / PID_FILE).write_text(json.dumps({"pid": process.pid, "port": port}) + "\n")
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(
        lambda: _healthy(url, timeout=1.0),
        process,
        name="mlflow server",
        url=url,
        log=log_path,
        timeout=timeout,
        on_failure=lambda: stop_server(root),
    )
    return Server(url, port, process.pid, root, True, time.monotonic() - began, log_path)


def _signal_all(pids: list[int], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pids[0], signum)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def stop_server(root: Path = ROOT, timeout: float = 15.0) -> StopResult:
    """Stop the server in `root`'s PID file and all its descendants: SIGTERM, then SIGKILL after `timeout`."""
    root = Path(root)
    record = read_pid_file(root / PID_FILE)
    if record is None:
        return StopResult(pid=None, was_running=False)
    pid = record["pid"]
    if not (alive(pid, b"mlflow")):
        (root / PID_FILE).unlink(missing_ok=True)
        return StopResult(pid=pid, was_running=False)
    processes = [pid, *descendants(pid)]
    _signal_all(processes, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    killed = any(alive(p) for p in processes)
    if killed:
        _signal_all(processes, signal.SIGKILL)
        while any(alive(p) for p in processes):
            time.sleep(0.05)
    (root / PID_FILE).unlink(missing_ok=True)
    return StopResult(pid=pid, was_running=True, killed=killed, processes=len(processes))


def _port_from_env() -> int:
    return port_setting("MLFLOW_SERVER_PORT", DEFAULT_PORT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.servers.mlflow", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["start", "stop", "status", "ui"])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="folder of the sqlite store, artifacts, PID and log"
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"default: MLFLOW_SERVER_PORT (ui: MLFLOW_UI_PORT, else 5000), else {DEFAULT_PORT}",
    )
    parser.add_argument("--store", help="ui: the tracking store to browse (default: MLFLOW_TRACKING_URI)")
    args = parser.parse_args(argv)
    try:
        if args.command == "ui":
            from toolkit.tracking.store import resolve_tracking_uri

            port = args.port or port_setting("MLFLOW_UI_PORT", 5000)
            return serve_ui(resolve_tracking_uri(args.store), port, out=partial(print, flush=True))
        if args.command == "start":
            server = start_server(args.root, args.port or _port_from_env())
            state = f"started in {server.seconds:.1f} s" if server.started else "already running"
            print(f"MLflow is running at {server.url} ({state}, pid {server.pid}, stores in {server.root}/)")
            print(f"Track runs there with: export MLFLOW_TRACKING_URI={server.url}")
        elif args.command == "stop":
            stopped = stop_server(args.root)
            print(
                f"MLflow stopped (pid {stopped.pid} and {stopped.processes - 1} child processes)"
                if stopped.was_running
                else "MLflow was not running"
            )
        else:
            server = server_status(args.root)
            print(
                f"MLflow is running at {server.url} (pid {server.pid})" if server else "MLflow is not running"
            )
            return 0 if server else 3
    except ToolkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
