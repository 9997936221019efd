"""Batch prediction at scale: `toolkit.batch.predict_batch` on synthetic articles, in-process and on Dask.

    .venv-dask/bin/python bench/scale.py [--sizes 10000 100000] [--engine-size 10000] [--chunk-size 1000]

The model is claims-logreg (experiments/claims-logreg.toml) trained on the shipped Wikinews corpus into a
throwaway MLflow store under .cache/bench/scale/. Articles come from `toolkit.ingest.synthetic` (four sentences
each, French and English alternating), written as ingested-article JSONL. Each measurement runs in a fresh
process (`run_worker`): wall-clock and CPU seconds, sentences per second, the peak RSS of that process and, on
Dask, of the largest worker process. The 1, 5 and 15-minute load averages are taken just before and just after
each measurement: the machine is shared, and a load above the core count slows every number here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    WORK,
    bench_env,
    current_rss_mib,
    load,
    log,
    machine,
    rss_mib,
    run_worker,
    table,
    versions,
    worker_main,
)

SCRIPT = Path(__file__).resolve()
FOLDER = WORK / "scale"
EXPERIMENT = ROOT / "experiments" / "claims-logreg.toml"


def tracking_uri() -> str:
    return f"sqlite:///{FOLDER / 'mlflow.db'}"


def train_model() -> str:
    """claims-logreg on the shipped corpus, once; its model URI."""
    marker = FOLDER / "model-uri.txt"
    if marker.is_file():
        return marker.read_text().strip()
    from toolkit.dataset import build_dataset
    from toolkit.tracking.log import train

    FOLDER.mkdir(parents=True, exist_ok=True)
    exports = sorted((ROOT / "annotations" / "exports" / "wikinews").glob("*.json"))
    build_dataset(exports[-1:], FOLDER / "data")
    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri()
    result = train(EXPERIMENT, FOLDER / "data", seed=13)
    marker.write_text(result.model_uri + "\n")
    return result.model_uri


def write_articles(count: int) -> Path:
    """`count` synthetic articles as ingested JSONL, streamed to disk (sentences split like `toolkit ingest`)."""
    path = FOLDER / f"articles-{count}.jsonl"
    if path.is_file():
        return path
    from toolkit.ingest.synthetic import synthetic_articles
    from toolkit.records import Article, text_hash
    from toolkit.text.sentences import split_sentences

    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        for raw in synthetic_articles(count):
            article = Article(
                id=raw["id"],
                title=raw["title"],
                text=raw["text"],
                lang=raw["lang"],
                content_hash=text_hash(raw["text"]),
                source="synthetic",
                sentences=split_sentences(raw["text"], raw["lang"]),
                meta={},
            )
            stream.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
    temporary.replace(path)
    return path


class ChildrenPeak:
    """The largest RSS any descendant process (a Dask nanny or worker) reached, sampled every 0.2 s: a worker's
    own peak is not reachable from here once it has exited, and ru_maxrss of children inherits the parent's."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # it exited between listing and reading
                    self.peak = max(self.peak, child.memory_info().rss / 2**20)

    def __enter__(self) -> ChildrenPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def predict(spec: dict[str, Any]) -> dict[str, Any]:
    """One batch prediction in this fresh process."""
    import shutil

    from toolkit.batch import predict_batch

    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri()
    output = FOLDER / f"out-{spec['size']}-{spec['workers']}.jsonl"
    output.unlink(missing_ok=True)
    shutil.rmtree(output.with_name(output.name + ".parts"), ignore_errors=True)
    baseline = rss_mib()
    before = load()
    with ChildrenPeak() as children_peak:
        wall, cpu = time.perf_counter(), time.process_time()
        result = predict_batch(
            [spec["model"]],
            Path(spec["articles"]),
            output,
            chunk_size=spec["chunk_size"],
            workers=spec["workers"],
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    output.unlink()
    return {
        "size": spec["size"],
        "workers": spec["workers"],
        "engine": result.engine,
        "articles": result.articles,
        "sentences": result.sentences,
        "seconds": wall,
        "cpu_seconds_client": cpu,
        "cpu_seconds_workers": children.ru_utime + children.ru_stime,
        "sentences_per_second": result.sentences / wall,
        "peak_rss_mib": rss_mib(),
        "baseline_rss_mib": baseline,
        "worker_peak_rss_mib": children_peak.peak if spec["workers"] else None,
        "load_before": before,
        "load_after": load(),
    }


def one_chunk(spec: dict[str, Any]) -> dict[str, Any]:
    """One chunk's working set, the unit the memory goal is stated in: in a fresh process, import and load the
    model as `predict_batch` does and predict 10 articles (lazy imports, caches); that RSS is the fixed part.
    The working set is the peak of the memory allocated while one whole chunk is read, predicted and formatted,
    as tracemalloc counts it (Python objects and numpy/scipy buffers, which numpy reports to it). RSS growth
    cannot show it: the chunk reuses heap the model's loading freed (measured: 0.04 MiB of VmHWM growth)."""
    import tracemalloc

    from toolkit.batch import _predict_chunk
    from toolkit.ingest.articles import article_ranges, read_range
    from toolkit.tracking.models import load_model

    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri()
    loaded = [load_model(spec["model"])]
    _predict_chunk(loaded, read_range(spec["articles"], article_ranges(spec["articles"], 10)[0]), "jsonl")
    fixed = current_rss_mib()
    chunk = article_ranges(spec["articles"], spec["chunk_size"])[0]
    tracemalloc.start()
    _predict_chunk(loaded, read_range(spec["articles"], chunk), "jsonl")
    working_set = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"fixed_rss_mib": fixed, "chunk_working_set_mib": working_set}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="in this process")
    parser.add_argument(
        "--engine-sizes", type=int, nargs="+", default=[10_000], help="process, 1 and 2 workers"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    env = bench_env()
    os.environ.update(env)
    log("training claims-logreg on the shipped corpus (once)")
    model = train_model()
    spec = {"model": model, "chunk_size": args.chunk_size}
    chunk = run_worker(SCRIPT, spec | {"kind": "chunk", "articles": str(write_articles(args.chunk_size))})
    log(f"one chunk: {json.dumps(chunk)}")
    runs = []
    # The engines first; then the sizes in this process alone (the longest runs last).
    plan = [(size, workers) for size in args.engine_sizes for workers in (0, *args.workers)]
    plan += [(size, 0) for size in args.sizes if size not in args.engine_sizes]
    for size, workers in plan:
        articles = write_articles(size)
        log(f"predicting {size:,} articles, workers={workers} (load {load()})")
        runs.append(
            run_worker(
                SCRIPT,
                spec | {"kind": "predict", "articles": str(articles), "size": size, "workers": workers},
            )
        )
        log(json.dumps(runs[-1]))
        with (FOLDER / "runs.jsonl").open("a") as stream:  # every run kept, for RESULTS.md
            stream.write(json.dumps(runs[-1] | {"chunk": chunk, "date": machine()["date"]}) + "\n")
    print(markdown(runs, chunk, args.chunk_size))
    print(json.dumps({"chunk": chunk, "runs": runs}, indent=1))


def markdown(runs: list[dict[str, Any]], chunk: dict[str, Any], chunk_size: int) -> str:
    info = machine()
    working_set = chunk["chunk_working_set_mib"]
    rows = []
    for run in runs:
        over = run["peak_rss_mib"] - chunk["fixed_rss_mib"]
        rows.append(
            [
                f"{run['size']:,}",
                run["engine"],
                f"{run['sentences']:,}",
                f"{run['seconds']:.1f}",
                f"{run['sentences_per_second']:,.0f}",
                f"{run['cpu_seconds_client']:.1f} + {run['cpu_seconds_workers']:.1f}",
                f"{run['peak_rss_mib']:.0f}",
                f"{over:.0f} ({over / working_set:.2f}×)" if not run["workers"] else "–",
                f"{run['worker_peak_rss_mib']:.0f}" if run["worker_peak_rss_mib"] else "–",
                f"{run['load_before']} → {run['load_after']}",
            ]
        )
    header = [
        "articles",
        "engine",
        "sentences",
        "seconds",
        "sentences/s",
        "CPU s (client + workers)",
        "peak RSS MiB",
        "over the fixed part MiB (× one chunk)",
        "worker peak MiB",
        "load",
    ]
    return (
        f"Machine: {info['cpus']} × {info['cpu']}, {info['memory']}, Python {info['python']}; "
        f"{versions('dask', 'distributed', 'scikit-learn')}; chunk size {chunk_size}; {info['date']}. "
        f"One chunk's working set: {working_set:.1f} MiB over a fixed part (imports + model) of "
        f"{chunk['fixed_rss_mib']:.0f} MiB.\n\n" + table(header, rows)
    )


if __name__ == "__main__" and not worker_main({"predict": predict, "chunk": one_chunk}):
    main()
