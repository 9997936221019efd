"""The Dask side of batch prediction: connect to a cluster, find out whether its workers share our filesystem,
and keep a bounded window of chunks in flight (see `toolkit.batch`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolkit.batch import _predict_chunk, _write_part
from toolkit.errors import ToolkitError
from toolkit.ingest.articles import ArticleRange, read_range
from toolkit.records import Article

__all__ = ["run_on_dask"]


def _worker_models(model_uris: tuple[str, ...], tracking_uri: str) -> list[Any]:
    """The models, loaded on this worker's first chunk and kept on the worker for the chunks that follow."""
    from distributed import get_worker

    from toolkit.tracking.models import load_model

    worker = get_worker()
    cache = getattr(worker, "_toolkit_models", None)
    if cache is None:
        cache = {}
        worker._toolkit_models = cache
    key = (model_uris, tracking_uri)
    if key not in cache:
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri  # load_model reads the store from it
        cache[key] = [load_model(uri) for uri in model_uris]
    return cache[key]


def _on_worker(
    model_uris: tuple[str, ...],
    tracking_uri: str,
    chunk: ArticleRange | list[Article],
    format: str,
    source: str,
    parts: str | None,
    index: int,
) -> tuple[str | None, dict[str, Any]]:
    """The Dask task. On a shared filesystem (`parts` given) `chunk` is a range of `source`: read it, predict,
    write the part and its marker here, return only the counts. Otherwise `chunk` holds the articles and the
    text goes back to the client."""
    articles = read_range(source, chunk) if isinstance(chunk, ArticleRange) else chunk
    text, counts = _predict_chunk(_worker_models(model_uris, tracking_uri), articles, format)
    if parts is None:
        return text, counts
    _write_part(Path(parts), index, format, text, counts)
    return None, counts


def _probe_shared(source: str, size: int, mtime_ns: int, probe: str, token: str) -> bool:
    """On a worker: does it see the input as the client does, and the client's probe file in the parts folder,
    and can it write there?"""
    try:
        stat = os.stat(source)
        with open(probe, encoding="utf-8") as stream:
            seen = stream.read()
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(probe), prefix=".probe-"):
            pass
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns, seen) == (size, mtime_ns, token)


def _connect(scheduler: str | None, workers: int, timeout: float) -> tuple[Any, Any, str]:
    """(client, cluster or None, engine name) for a scheduler address or a LocalCluster of `workers`."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, ValueError, TypeError) as exc:
            first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ToolkitError(f"cannot reach the Dask scheduler at {scheduler!r} ({first})") from None
        return client, None, scheduler
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster, f"LocalCluster({workers} worker{'s' if workers != 1 else ''})"


def _shared_filesystem(client: Any, source: Path, parts: Path) -> bool:
    """True when every worker of the cluster reads `source` and writes into `parts` as this process does."""
    import secrets

    token = secrets.token_hex(16)
    probe = parts / ".probe"
    probe.write_text(token, encoding="utf-8")
    stat = source.stat()
    try:
        answers = client.run(
            _probe_shared, str(source), stat.st_size, stat.st_mtime_ns, str(probe), token, on_error="return"
        )
    finally:
        probe.unlink(missing_ok=True)
    return bool(answers) and all(answer is True for answer in answers.values())


def run_on_dask(
    model_uris: Sequence[str],
    tracking_uri: str,
    source: Path,
    todo: list[tuple[int, ArticleRange]],
    parts: Path,
    format: str,
    record: Callable[[int, dict[str, Any]], None],
    scheduler: str | None,
    workers: int,
    timeout: float,
) -> str:
    """Submit the chunks not done yet, at most two per worker thread in flight; record each as it returns."""
    from distributed import as_completed

    client, cluster, engine = _connect(scheduler, workers, timeout)
    try:
        source, parts = source.resolve(), parts.resolve()
        shared = str(parts) if cluster is not None or _shared_filesystem(client, source, parts) else None
        if cluster is None:
            engine += " (workers read the input)" if shared else " (articles sent to the workers)"
        window = 2 * max(1, sum(client.nthreads().values()))
        running = as_completed()
        uris = tuple(model_uris)
        index_of: dict[str, int] = {}
        pending = iter(todo)

        def submit_next() -> bool:
            for index, chunk in pending:
                work = chunk if shared else read_range(source, chunk)
                future = client.submit(
                    _on_worker, uris, tracking_uri, work, format, str(source), shared, index, pure=False
                )
                index_of[future.key] = index
                running.add(future)
                return True
            return False

        while running.count() < window and submit_next():
            pass
        for future in running:
            text, counts = future.result()
            index = index_of.pop(future.key)
            future.release()  # nothing of a finished chunk stays on the cluster
            if text is not None:
                _write_part(parts, index, format, text, counts)
            record(index, counts)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return engine
