"""A real Label Studio server for the session, and a fault-injecting proxy in front of it.

The server runs from .venv-labelstudio on a free loopback port over a fresh data dir copied from the migrated
template in .cache/ (built on first use, ~30 s; then ~3 s a start), and is stopped by its PID at the end, also
when tests fail. The same code serves `make label-studio` (toolkit.servers.labelstudio).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from ls_helpers import LS_VENV, TEMPLATES, LiveServer, Proxy


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from toolkit.servers.labelstudio import Credentials, free_port, start_server, stop_server

    if not (LS_VENV / "bin" / "label-studio").exists():
        pytest.fail(f"{LS_VENV} has no label-studio: run `make label-studio-venv` (make test does)")
    data_dir = tmp_path_factory.mktemp("labelstudio-data")
    credentials = Credentials("admin@toolkit.test", secrets.token_urlsafe(16), secrets.token_hex(20))
    try:
        server = start_server(data_dir, free_port(), credentials, venv=LS_VENV, template_root=TEMPLATES)
        yield LiveServer(
            server.url, credentials.api_key, credentials.username, data_dir, credentials.password
        )
    finally:
        stop_server(data_dir)


@pytest.fixture
def ls_env(label_studio: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """Point the toolkit at the session's server, whatever the developer's environment or .env say."""
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.api_key)
    monkeypatch.setenv("LABEL_STUDIO_TIMEOUT", "60")
    return label_studio


@pytest.fixture
def proxy(label_studio: LiveServer) -> Iterator[Proxy]:
    proxy = Proxy(label_studio.url)
    try:
        yield proxy
    finally:
        proxy.close()
