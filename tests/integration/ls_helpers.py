"""Helpers for the Label Studio integration tests: the live server handle, articles, a fault-injecting proxy."""

from __future__ import annotations

import json
import random
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
    api_key: str
    username: str
    data_dir: Path

    def sdk(self, api_key: str | None = None):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=api_key or self.api_key, max_retries=0, timeout=60)


def write_raw_articles(path: Path, count: int, seed: int = 7) -> Path:
    """`count` short made-up news articles, alternating French and English; EMOJI_ID has emoji and accents."""
    rng = random.Random(seed)
    orgs = [
        "Écovia",
        "Castelmar",
        "Halvorsen Semiconductor",
        "Tidewell Pharma",
        "Quillon Motors",
        "Rivenbank",
    ]
    people = ["Zoé Durand", "Marta Lindqvist", "Paul Garnier", "Lena Varga"]
    lines = []
    for index in range(count):
        org, person = rng.choice(orgs), rng.choice(people)
        amount, pct, year = rng.randint(2, 900), rng.randint(1, 40), rng.choice([2025, 2026, 2027])
        if index % 2 == 0:
            lang = "fr"
            text = (
                f"{org} a annoncé jeudi un chiffre d'affaires de {amount} millions d'euros, en hausse de {pct} % "
                f"sur un an. Le groupe prévoit que la marge atteindra {pct + 1} % en {year}, a déclaré {person}. "
                f"Selon des sources, {org} pourrait céder une filiale. C'est l'article numéro {index}."
            )
        else:
            lang = "en"
            text = (
                f"{org} reported revenue of ${amount} million on Wednesday, up {pct}% from a year earlier. "
                f"The company expects margins of {pct + 1}% in {year}, {person} said. "
                f"It may sell a division, people familiar with the matter said. This is story number {index}."
            )
        article_id = f"art-{index:04d}"
        if article_id == EMOJI_ID:
            text = f"🚀 Zoé Durand 😀 : {text}"
        lines.append(json.dumps({"id": article_id, "title": f"{org} {index}", "text": text, "lang": lang}))
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
