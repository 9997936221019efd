"""Helpers for the Label Studio integration tests: the live server handle, articles, a fault-injecting proxy."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LS_VENV = ROOT / ".venv-labelstudio"
TEMPLATES = ROOT / ".cache" / "labelstudio-template"
EMOJI_ID = "art-0003"


@dataclass(frozen=True)
class LiveServer:
    url: str
    api_key: str = field(repr=False)
    username: str = ""
    data_dir: Path = Path()
    password: str = field(default="", repr=False)

    def sdk(self, api_key: str | None = None):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=api_key or self.api_key, max_retries=0, timeout=60)


def write_raw_articles(path: Path, count: int, seed: int = 7) -> Path:
    """`count` short made-up news articles, alternating French and English; EMOJI_ID has emoji and accents."""
    from toolkit.ingest.synthetic import synthetic_articles

    lines = []
    for raw in synthetic_articles(count, seed):
        if raw["id"] == EMOJI_ID:
            raw["text"] = f"🚀 Zoé Durand 😀 : {raw['text']}"
        lines.append(json.dumps(raw))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest_articles(tmp_path: Path, count: int) -> Path:
    """Run `toolkit ingest` on generated articles, as a user would; returns the articles JSONL."""
    from typer.testing import CliRunner

    from toolkit.cli import app

    raw = write_raw_articles(tmp_path / "raw.jsonl", count)
    output = tmp_path / "articles.jsonl"
    result = CliRunner().invoke(app, ["ingest", str(raw), "--output", str(output)])
    assert result.exit_code == 0, result.output
    return output


@dataclass
class Faults:
    """What the proxy does to import requests (POST .../import): each entry is used once, in order.

    "pass": forward as is. "after-500": forward, then answer 500 (the server committed, the client sees a failure).
    "500": answer 500 without forwarding. "slow": forward, then hold the answer past the client's timeout.
    """

    plan: list[str] = field(default_factory=list)
    delay: float = 2.5
    seen: int = 0


class Proxy:
    """A loopback HTTP proxy to the real server that injects faults into task imports."""

    def __init__(self, upstream: str) -> None:
        import httpx

        self.faults = Faults()
        self.upstream = httpx.Client(base_url=upstream, timeout=120)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_import = self.command == "POST" and self.path.split("?")[0].rstrip("/").endswith("/import")
                fault = proxy.faults.plan.pop(0) if is_import and proxy.faults.plan else None
                if is_import:
                    proxy.faults.seen += 1
                if fault == "500":
                    return self._send(500, b'{"detail": "injected failure"}', "application/json")
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}
                }
                answer = proxy.upstream.request(self.command, self.path, content=body, headers=headers)
                if fault == "after-500":
                    return self._send(500, b'{"detail": "injected failure after commit"}', "application/json")
                if fault == "slow":
                    time.sleep(proxy.faults.delay)
                self._send(answer.status_code, answer.content, answer.headers.get("content-type", ""))

            def _send(self, status: int, content: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting ("slow"): that is the point

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream.close()


def project_tasks(server: LiveServer, project_id: int) -> list:
    """Every task of the project as the API lists it (duplicates included: that is what we count)."""
    return list(server.sdk().tasks.list(project=project_id, fields="all", page_size=1000))


CHROMIUM = Path("/usr/bin/chromium")


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on
    fd 3, answers on fd 4, NUL-terminated JSON), so no websocket library is needed. One page, flattened session."""

    def __init__(self, profile: Path) -> None:
        import os
        import subprocess

        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def pipes_on_3_and_4() -> None:
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]  # fmt: skip
        self.process = subprocess.Popen(
            [str(CHROMIUM), *flags, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=pipes_on_3_and_4, start_new_session=True,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def send(self, method: str, session: bool = False, timeout: float = 30.0, **params: object) -> dict:
        import os
        import select

        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer {method} within {timeout} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk

    def evaluate(self, expression: str) -> object:
        result = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 40.0) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.3)
        raise TimeoutError(f"never true in the page: {expression}")

    def close(self) -> None:
        import contextlib
        import os
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self._commands)
        os.close(self._answers)
