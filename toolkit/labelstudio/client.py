"""Connecting to Label Studio: settings from the environment or .env, one-line errors, retries with backoff.

Every call to the server goes through `Client.call`, which turns what can go wrong (server down, a refused API
key, 5xx answers, timeouts) into a ToolkitError with one line that never holds the API key. The SDK's own
retries are switched off: it would re-send an import after a 5xx, and an import that reached the database
before the error would then be duplicated. Our callers decide what is safe to retry (see tasks.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from toolkit.errors import ToolkitError

__all__ = [
    "Settings",
    "RetryPolicy",
    "Client",
    "load_settings",
    "connect",
    "collect",
    "server_reason",
    "DEFAULT_PORT",
]

DEFAULT_PORT = 8080
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Where the server is and the key to use; the repr hides the key."""

    url: str
    api_key: str = field(repr=False)
    timeout: float = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed call is tried again: waits of `backoff`, 2×, 4×... seconds between `attempts` tries."""

    attempts: int = 4
    backoff: float = 0.5

    def delays(self) -> list[float]:
        return [self.backoff * 2**n for n in range(max(self.attempts - 1, 0))]


def load_settings(
    url: str | None = None, api_key: str | None = None, env_file: str | Path = ".env"
) -> Settings:
    """LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY and LABEL_STUDIO_TIMEOUT from arguments, the environment, then .env.

    The URL defaults to the server `make label-studio` starts (127.0.0.1, LABEL_STUDIO_PORT or 8080). The key
    may be a legacy token or a personal access token (a JWT): the SDK tells them apart and refreshes a JWT.
    """
    from toolkit.io import read_env_file

    env_file = Path(env_file)
    stored = read_env_file(env_file)

    def value(name: str) -> str | None:
        return os.environ.get(name) or stored.get(name)

    port = value("LABEL_STUDIO_PORT") or str(DEFAULT_PORT)
    url = (url or value("LABEL_STUDIO_URL") or f"http://127.0.0.1:{port}").rstrip("/")
    api_key = api_key or value("LABEL_STUDIO_API_KEY")
    if not api_key:
        raise ToolkitError(
            f"LABEL_STUDIO_API_KEY is not set (environment or {env_file}); `make label-studio` generates one"
        )
    raw_timeout = value("LABEL_STUDIO_TIMEOUT") or "60"
    try:
        timeout = float(raw_timeout)
    except ValueError:
        raise ToolkitError(f"LABEL_STUDIO_TIMEOUT must be a number of seconds, got {raw_timeout!r}") from None
    return Settings(url=url, api_key=api_key.strip(), timeout=timeout)


class Client:
    """The SDK client plus error translation and retries. `sdk` is a label_studio_sdk.LabelStudio."""

    def __init__(
        self, settings: Settings, retry: RetryPolicy | None = None, httpx_client: Any = None
    ) -> None:
        import httpx
        from label_studio_sdk import LabelStudio

        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.url = settings.url
        http = httpx_client or httpx.Client(timeout=settings.timeout, follow_redirects=True)
        self._http = http
        try:
            self.sdk = LabelStudio(
                base_url=settings.url,
                api_key=settings.api_key,
                timeout=settings.timeout,
                max_retries=0,
                httpx_client=http,
            )
        except Exception as error:  # an expired or malformed personal access token fails here
            raise ToolkitError(self.describe(error, "connecting")) from None

    def describe(self, error: BaseException, what: str) -> str:
        """One line for a failed call; never includes the API key (bodies and URLs hold none, we check anyway)."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        if isinstance(error, httpx.ConnectError):
            message = f"Label Studio is not running at {self.url} ({what}); start it with `make label-studio`"
        elif isinstance(error, httpx.TimeoutException):
            message = f"Label Studio at {self.url} did not answer within {self.settings.timeout:g} s ({what})"
        elif isinstance(error, ApiError) and error.status_code in (401, 403):
            message = (
                f"Label Studio at {self.url} refused the API key ({error.status_code}, {what}): "
                f"check LABEL_STUDIO_API_KEY ({server_reason(self._masked(error.body))})"
            )
        elif isinstance(error, ApiError):
            message = f"Label Studio at {self.url} answered {error.status_code} ({what}): {server_reason(self._masked(error.body))}"
        elif isinstance(error, httpx.HTTPError):
            message = f"Label Studio at {self.url} failed ({what}): {type(error).__name__}"
        else:
            message = f"Label Studio client error ({what}): {type(error).__name__}: {self._masked(str(error))[:200]}"
        return self._masked(message).replace("\n", " ")

    def _masked(self, value: Any) -> Any:
        """`value` with the API key replaced, inside strings, lists and dicts: done before any text is cut, so a
        key that straddles a cut can never leave its first part behind."""
        key = self.settings.api_key
        if isinstance(value, str):
            return value.replace(key, "***") if key else value
        if isinstance(value, dict):
            return {name: self._masked(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        return value

    @staticmethod
    def retryable(error: BaseException) -> bool:
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        if isinstance(error, httpx.TimeoutException | httpx.RemoteProtocolError | httpx.ReadError):
            return True
        return isinstance(error, ApiError) and (error.status_code or 0) >= 500

    def call(self, what: str, function: Callable[..., T], *args: Any, retry: bool = True, **kwargs: Any) -> T:
        """`function(*args, **kwargs)`, tried again after 5xx answers and timeouts when `retry` (idempotent calls)."""
        delays = self.retry.delays() if retry else []
        for attempt in range(len(delays) + 1):
            try:
                return function(*args, **kwargs)
            except ToolkitError:
                raise
            except Exception as error:
                if attempt < len(delays) and self.retryable(error):
                    time.sleep(delays[attempt])
                    continue
                suffix = f" after {attempt + 1} tries" if attempt else ""
                raise ToolkitError(self.describe(error, what) + suffix) from None
        raise AssertionError("unreachable")

    def post_json(self, path: str, payload: Any) -> Any:
        """POST `payload` (plain JSON data) to `path` under /api/ and return the decoded answer.

        For bulk imports: the SDK's methods run a generic encoder over every value of the body before
        json.dumps (2.3 s of the client's time for 10,000 tasks with predictions, ten times json.dumps), and
        our bodies are plain JSON already. The bytes go through the SDK's own HTTP client: same base URL,
        authorisation and personal-access-token refresh. Non-2xx answers raise the SDK's ApiError, as its
        methods do.
        """
        import json

        from label_studio_sdk.core.api_error import ApiError

        http = self.sdk._client_wrapper.httpx_client
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"content-type": "application/json"}
        response = http.request(f"api/{path}", method="POST", content=body, headers=headers)
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        if not 200 <= response.status_code < 300:
            raise ApiError(status_code=response.status_code, headers=dict(response.headers), body=answer)
        return answer

    def check(self) -> str:
        """Fail fast, with one line, when the server is down or the key is refused; the user's email otherwise."""
        user = self.call("checking the API key", self.sdk.users.whoami, retry=False)
        return str(user.email or user.username or user.id)

    def find_project(self, title: str) -> Any | None:
        """The project called `title`, or None; two projects with that title is an error (which one to use?)."""
        pages = self.call(
            "listing projects",
            lambda: collect(self.sdk.projects.list(title=title, include="id,title", page_size=100), 100),
        )
        matches = [project for project in pages if project.title == title]
        if len(matches) > 1:
            ids = ", ".join(str(project.id) for project in matches)
            raise ToolkitError(
                f"{len(matches)} Label Studio projects are called {title!r} (ids {ids}); rename one"
            )
        return matches[0] if matches else None

    def project(self, title: str) -> Any:
        project = self.find_project(title)
        if project is None:
            raise ToolkitError(
                f"no Label Studio project called {title!r} at {self.url}; create it with `toolkit labelstudio init`"
            )
        return project

    def close(self) -> None:
        self._http.close()


def collect(pager: Any, page_size: int) -> list[Any]:
    """Every item of an SDK pager, without the extra request the pager makes past the last page (it asks for
    one more page whenever a page is not empty, and the server answers 404)."""
    items: list[Any] = []
    page = pager
    while page is not None:
        found = page.items or []
        items.extend(found)
        total = getattr(page.response, "total", None) or getattr(page.response, "count", None)
        if len(found) < page_size or (total is not None and len(items) >= total):
            break
        page = page.next_page()
    return items


def server_reason(body: Any) -> str:
    """The server's reason in one short line, from a DRF error body."""
    if isinstance(body, dict):
        for key in ("validation_errors", "label_config", "non_field_errors", "errors", "detail"):
            if key in body:
                return server_reason(body[key])
        return "; ".join(f"{key}: {server_reason(value)}" for key, value in list(body.items())[:3])
    if isinstance(body, list):
        return "; ".join(server_reason(item) for item in body[:3])
    text = " ".join(str(body).split())
    if text.startswith("<"):
        return "an HTML error page"
    return text if len(text) <= 300 else text[:297] + "..."


def connect(
    settings: Settings | None = None,
    *,
    retry: RetryPolicy | None = None,
    httpx_client: Any = None,
    check: bool = True,
) -> Client:
    """A client for the configured server, checked with one call so that a wrong URL or key fails first."""
    client = Client(settings or load_settings(), retry=retry, httpx_client=httpx_client)
    if check:
        client.check()
    return client
