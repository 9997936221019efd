"""How EntityTagger's training cost grows: 1×, 2×, 4× and 8× the CoNLL-2003 training set (repeated).

    python bench/scaling.py [--data ../shared/data]

The training sentences are repeated k times (the same sentences, so the vocabulary does not grow: this measures
cost against the number of tokens seen, not against new words). Each size trains in its own process with the
parameters of experiments/entities-rich.toml; training seconds and peak RSS (total, and over the process's
baseline with the data loaded) are reported with the ratio to the size before it: 2.0 per doubling is linear.
CPU seconds (all threads of the process) are given beside wall-clock seconds: they hardly move when something
else runs on the machine, so the linearity verdict is read on them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    SEED,
    import_dataset,
    log,
    rss_mib,
    run_worker,
    script_main,
    table,
    worker_main,
)

SCRIPT = Path(__file__).resolve()
EXPERIMENT = ROOT / "experiments" / "entities-rich.toml"
FACTORS = (1, 2, 4, 8)
FILES = ["conll2003-en/eng.train"]


def fit_repeated(spec: dict[str, Any]) -> dict[str, Any]:
    from toolkit.dataset import load_dataset
    from toolkit.tasks import TASKS
    from toolkit.training.experiments import build_estimator, load_experiment

    dataset, _ = load_dataset(Path(spec["data"]), "entities")
    X, y = TASKS["entities"].xy(dataset["train"])
    factor = spec["factor"]
    X, y = X * factor, y * factor
    model = build_estimator(load_experiment(EXPERIMENT), SEED)
    base = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X, y)
    cpu = time.process_time() - cpu
    return {
        "factor": factor,
        "sentences": len(X),
        "tokens": sum(map(len, X)),
        "train_s": time.perf_counter() - start,
        "train_cpu_s": cpu,
        "rss_base_mib": base,
        "rss_peak_mib": rss_mib(),
    }


def run(data_root: Path) -> dict[str, Any]:
    paths = [data_root / file for file in FILES]
    if not all(path.is_file() for path in paths):
        return {"runs": [], "skipped": [f"{paths[0]} absent"]}
    data = import_dataset("conll2003", paths, "scaling-conll2003-train", split_names={"eng.train": "train"})
    runs = []
    for factor in FACTORS:
        log(f"scaling: {factor}×")
        runs.append(run_worker(SCRIPT, {"kind": "scale", "data": str(data), "factor": factor}))
    return {"runs": runs, "skipped": []}


def growth(runs: list[dict[str, Any]]) -> list[dict[str, float | None]]:
    """Per run: ratio of training time, of peak RSS and of RSS over baseline to the run before it."""
    ratios: list[dict[str, float | None]] = [{"time": None, "cpu": None, "peak": None, "over": None}]
    for before, after in zip(runs, runs[1:], strict=False):
        ratios.append(
            {
                "time": after["train_s"] / before["train_s"],
                "cpu": after["train_cpu_s"] / before["train_cpu_s"],
                "peak": after["rss_peak_mib"] / before["rss_peak_mib"],
                "over": (after["rss_peak_mib"] - after["rss_base_mib"])
                / max(before["rss_peak_mib"] - before["rss_base_mib"], 1e-9),
            }
        )
    return ratios


def markdown(results: dict[str, Any]) -> str:
    if not results["runs"]:
        return "Skipped: " + "; ".join(results["skipped"])

    def ratio(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}×"

    rows = [
        [f"{run['factor']}×", f"{run['sentences']:,}", f"{run['tokens']:,}", run["train_s"], ratio(g["time"]),
         run["train_cpu_s"], ratio(g["cpu"]), f"{run['tokens'] / run['train_s']:,.0f}", f"{run['rss_peak_mib']:,.0f}", ratio(g["peak"]),
         f"{run['rss_peak_mib'] - run['rss_base_mib']:,.0f}", ratio(g["over"])]
        for run, g in zip(results["runs"], growth(results["runs"]), strict=True)
    ]  # fmt: skip
    return table(
        ["size", "sentences", "tokens", "train s", "time / previous", "train CPU s", "CPU / previous",
         "tokens/s trained", "peak RSS MiB",
         "peak / previous", "over baseline MiB", "over baseline / previous"],
        rows,
    )  # fmt: skip


if __name__ == "__main__" and not worker_main({"scale": fit_repeated}):
    script_main(__doc__, run, markdown)
