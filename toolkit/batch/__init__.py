"""Batch prediction: articles read in chunks, predicted here or on a Dask cluster, resumable after a crash.

The articles (JSONL, Parquet or a saved Hugging Face dataset) are first cut into ranges of `chunk_size`
(`toolkit.ingest.articles.article_ranges`: line ends or row counts, no article parsed); whoever predicts a chunk
reads its range alone, so memory does not grow with the input. Each finished chunk is written atomically into
`OUTPUT.parts/` as `part-NNNNNN.<format>` followed by `part-NNNNNN.done` (its counts: the manifest of finished
chunks). A re-run with the same input, models, chunk size and format skips the chunks that are done. When every
chunk is done the parts are concatenated in order into OUTPUT (atomically: a temporary file renamed into place)
and the folder is removed.

Where chunks run: in this process (`workers=0`), on a `LocalCluster` of `workers` processes bound to 127.0.0.1,
or on the Dask scheduler at `scheduler`. Workers receive the model URIs and the tracking URI, never a model
object, and each loads the models once (`toolkit.tracking.models.load_model`, skops with our trusted types),
keeping them on the worker for the chunks that follow. When every worker sees the input and the parts folder
as this process does (always on a LocalCluster; probed on a remote cluster), a task is only a range: the worker
reads it, writes the part and its marker, and returns the counts, which leaves this process almost idle (on a
2-core machine it would otherwise take a core's share from the workers). Otherwise this process reads each
chunk, ships the articles and writes the text that comes back.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.ingest.articles import article_ranges, read_range
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
    ranges = article_ranges(articles_path, chunk_size)
    if not ranges:
        raise ToolkitError(f"{articles_path}: no articles")
    total = sum(chunk.count for chunk in ranges)
    finished = sum(counts["articles"] for counts in done.values())

    def record(index: int, counts: dict[str, Any]) -> None:
        nonlocal finished
        done[index] = counts
        finished += counts["articles"]
        if progress:
            progress(finished, total)

    if progress:
        progress(finished, total)
    todo = [(index, chunk) for index, chunk in enumerate(ranges) if index not in done]
    if scheduler or workers:
        from toolkit.batch.cluster import run_on_dask

        result.engine = run_on_dask(
            model_uris,
            resolve_tracking_uri(),
            articles_path,
            todo,
            parts,
            format,
            record,
            scheduler,
            workers,
            connect_timeout,
        )
    elif todo:
        from toolkit.tracking.models import load_model

        loaded = [load_model(uri) for uri in model_uris]
        for index, chunk in todo:
            text, counts = _predict_chunk(loaded, read_range(articles_path, chunk), format)
            _write_part(parts, index, format, text, counts)
            record(index, counts)
    chunks = len(ranges)
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
