"""Batch prediction: articles streamed in chunks, predicted here or on a Dask cluster, resumable after a crash.

The articles (JSONL, Parquet or a saved Hugging Face dataset) are read `chunk_size` at a time; at most a few
chunks are in flight, so memory does not grow with the input. Each finished chunk is written atomically into
`OUTPUT.parts/` as `part-NNNNNN.<format>` followed by `part-NNNNNN.done` (its counts: the manifest of finished
chunks). A re-run with the same input, models, chunk size and format skips the chunks that are done. When every
chunk is done the parts are concatenated in order into OUTPUT (atomically: a temporary file renamed into place)
and the folder is removed.

Where chunks run: in this process (`workers=0`), on a `LocalCluster` of `workers` processes bound to 127.0.0.1,
or on the Dask scheduler at `scheduler`. Workers receive the model URIs and the tracking URI, never a model
object, and each loads the models once (`toolkit.tracking.models.load_model`, skops with our trusted types),
keeping them on the worker for the chunks that follow. Chunks go back to this process as text, so workers
need no shared filesystem.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.ingest.articles import count_articles, iter_articles
from toolkit.predict import FILE_FORMATS, format_predictions, predict_loaded
from toolkit.records import Article

__all__ = ["BatchResult", "predict_batch", "parts_folder", "DEFAULT_CHUNK_SIZE"]

DEFAULT_CHUNK_SIZE = 1000
RUN_FILE = "run.json"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before saying it cannot be reached


@dataclass
class BatchResult:
    output: Path
    articles: int = 0
    sentences: int = 0
    chunks: int = 0
    resumed: int = 0  # chunks a previous run had finished, skipped this time
    spans: dict[str, int] = field(default_factory=dict)
    model_version: str = ""
    engine: str = "process"  # process, LocalCluster(N workers) or the scheduler's address


def parts_folder(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def _chunks(articles: Iterator[Article], size: int) -> Iterator[list[Article]]:
    while chunk := list(islice(articles, size)):
        yield chunk


def _predict_chunk(loaded: Sequence[Any], articles: list[Article], format: str) -> tuple[str, dict[str, Any]]:
    """A chunk's output text (CSV without its header) and its counts."""
    predictions = predict_loaded(loaded, articles)
    text = format_predictions(predictions, format)
    if format == "csv":
        text = text.split("\n", 1)[1]
    spans: dict[str, int] = {}
    for prediction in predictions:
        for span in prediction.spans:
            spans[span.group] = spans.get(span.group, 0) + 1
    counts = {
        "articles": len(articles),
        "sentences": sum(len(article.sentences) or 1 for article in articles),
        "spans": spans,
        "model_version": predictions[0].model_version if predictions else "",
    }
    return text, counts


def _on_worker(
    model_uris: tuple[str, ...], tracking_uri: str, articles: list[Article], format: str
) -> tuple[str, dict[str, Any]]:
    """The Dask task: load the models on first use on this worker, keep them there, predict the chunk."""
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
    return _predict_chunk(cache[key], articles, format)


def _run_key(model_uris: Sequence[str], source: Path, chunk_size: int, format: str) -> dict[str, Any]:
    stat = source.stat()
    return {
        "models": list(model_uris),
        "input": str(source.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "chunk_size": chunk_size,
        "format": format,
    }


def _prepare_parts(parts: Path, key: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The finished chunks of a previous run with the same key (index → counts); parts of another run are
    removed."""
    run_file = parts / RUN_FILE
    if run_file.is_file():
        try:
            same = json.loads(run_file.read_text(encoding="utf-8")) == key
        except (OSError, ValueError):
            same = False
        if not same:
            for child in parts.iterdir():
                if child.name == RUN_FILE or child.name.startswith(("part-", ".part-")):
                    child.unlink()
    parts.mkdir(parents=True, exist_ok=True)
    _write_atomic(run_file, json.dumps(key, indent=2) + "\n")
    done = {}
    for marker in parts.glob("part-*.done"):
        done[int(marker.stem.removeprefix("part-"))] = json.loads(marker.read_text(encoding="utf-8"))
    return done


def _write_atomic(path: Path, text: str) -> None:
    from toolkit.io import write_text_atomic

    write_text_atomic(path, text)


def _write_part(parts: Path, index: int, format: str, text: str, counts: dict[str, Any]) -> None:
    """The chunk's text, then its `.done` marker: a chunk counts as finished only once both are on disk."""
    _write_atomic(parts / f"part-{index:06d}.{format}", text)
    _write_atomic(parts / f"part-{index:06d}.done", json.dumps(counts) + "\n")


def _concatenate(parts: Path, chunks: int, format: str, output: Path) -> None:
    """Every part in order into `output`, streamed through a temporary file renamed into place."""
    import shutil

    from toolkit.io import check_writable
    from toolkit.predict import CSV_COLUMNS

    check_writable(output)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            if format == "csv":
                stream.write((",".join(CSV_COLUMNS) + "\n").encode("utf-8"))
            for index in range(chunks):
                with (parts / f"part-{index:06d}.{format}").open("rb") as part:
                    shutil.copyfileobj(part, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, output)
    except OSError as exc:
        raise ToolkitError(f"{output}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    shutil.rmtree(parts)


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


def predict_batch(
    model_uris: Sequence[str],
    articles_path: Path,
    output: Path,
    *,
    format: str = "jsonl",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = 0,
    scheduler: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    connect_timeout: float | None = None,
) -> BatchResult:
    """Predict every article of `articles_path` in chunks of `chunk_size` and write them, in input order, to
    `output` (jsonl or csv). Models come from the tracking store of MLFLOW_TRACKING_URI (workers are given
    it too). `progress(articles_done, total or None)` is called as chunks finish."""
    if not model_uris:
        raise ToolkitError("no model given: pass a model URI such as runs:/ID/model")
    if format not in FILE_FORMATS:
        raise ToolkitError(f"format must be one of {', '.join(FILE_FORMATS)}, got {format!r}")
    if chunk_size < 1:
        raise ToolkitError(f"the chunk size must be at least 1 article, got {chunk_size}")
    if workers < 0:
        raise ToolkitError(f"the number of workers must be 0 (this process) or more, got {workers}")
    articles_path, output = Path(articles_path), Path(output)
    if not articles_path.exists():
        raise ToolkitError(f"{articles_path}: file not found")
    parts = parts_folder(output)
    done = _prepare_parts(parts, _run_key(model_uris, articles_path, chunk_size, format))
    try:
        return _run(
            model_uris,
            articles_path,
            output,
            parts,
            done,
            format,
            chunk_size,
            workers,
            scheduler,
            progress,
            CONNECT_TIMEOUT if connect_timeout is None else connect_timeout,
        )
    except BaseException:
        if not any(parts.glob("part-*.done")):  # nothing worth resuming: leave nothing behind
            import shutil

            shutil.rmtree(parts, ignore_errors=True)
        raise


def _run(
    model_uris: Sequence[str],
    articles_path: Path,
    output: Path,
    parts: Path,
    done: dict[int, dict[str, Any]],
    format: str,
    chunk_size: int,
    workers: int,
    scheduler: str | None,
    progress: Callable[[int, int | None], None] | None,
    connect_timeout: float,
) -> BatchResult:
    from toolkit.tracking.store import resolve_tracking_uri

    result = BatchResult(output=output, resumed=len(done))
    total = count_articles(articles_path)
    finished = 0

    def record(index: int, counts: dict[str, Any]) -> None:
        nonlocal finished
        done[index] = counts
        finished += counts["articles"]
        if progress:
            progress(finished, total)

    for counts in done.values():
        finished += counts["articles"]
    if progress:
        progress(finished, total)
    todo = ((index, chunk) for index, chunk in enumerate(_chunks(iter_articles(articles_path), chunk_size)))
    chunks = 0
    if scheduler or workers:
        chunks, result.engine = _run_on_dask(
            model_uris,
            resolve_tracking_uri(),
            todo,
            done,
            parts,
            format,
            record,
            scheduler,
            workers,
            connect_timeout,
        )
    else:
        from toolkit.tracking.models import load_model

        loaded = None
        for index, chunk in todo:
            chunks = index + 1
            if index in done:
                continue
            if loaded is None:
                loaded = [load_model(uri) for uri in model_uris]
            text, counts = _predict_chunk(loaded, chunk, format)
            _write_part(parts, index, format, text, counts)
            record(index, counts)
    if chunks == 0:
        raise ToolkitError(f"{articles_path}: no articles")
    versions = {done[index]["model_version"] for index in range(chunks)}
    if len(versions) > 1:
        raise ToolkitError(
            f"{parts}: chunks were predicted by different model versions ({', '.join(sorted(versions))}); "
            "remove the folder and run again"
        )
    _concatenate(parts, chunks, format, output)
    result.chunks = chunks
    result.model_version = versions.pop()
    for counts in (done[index] for index in range(chunks)):
        result.articles += counts["articles"]
        result.sentences += counts["sentences"]
        for group, count in counts["spans"].items():
            result.spans[group] = result.spans.get(group, 0) + count
    return result


def _run_on_dask(
    model_uris: Sequence[str],
    tracking_uri: str,
    todo: Iterator[tuple[int, list[Article]]],
    done: dict[int, dict[str, Any]],
    parts: Path,
    format: str,
    record: Callable[[int, dict[str, Any]], None],
    scheduler: str | None,
    workers: int,
    timeout: float,
) -> tuple[int, str]:
    """Submit the chunks not done yet, at most two per worker thread in flight; write each as it returns."""
    from distributed import as_completed

    client, cluster, engine = _connect(scheduler, workers, timeout)
    chunks = 0
    try:
        window = 2 * max(1, sum(client.nthreads().values()))
        running = as_completed()
        uris = tuple(model_uris)
        index_of: dict[str, int] = {}

        def submit_next() -> bool:
            nonlocal chunks
            for index, chunk in todo:
                chunks = index + 1
                if index in done:
                    continue
                future = client.submit(_on_worker, uris, tracking_uri, chunk, format, pure=False)
                index_of[future.key] = index
                running.add(future)
                return True
            return False

        while running.count() < window and submit_next():
            pass
        for future in running:
            text, counts = future.result()
            index = index_of.pop(future.key)
            _write_part(parts, index, format, text, counts)
            record(index, counts)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return chunks, engine
