"""Shared by the benchmark scripts: one measurement per process, the machine, markdown tables, RESULTS.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / ".cache" / "bench"
SEED = 13
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _status_mib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB: VmHWM on Linux. Not ru_maxrss, which a process
    started by fork (or vfork) + exec inherits from its parent: a bench worker started by a parent holding
    600 MiB reported 600 MiB while itself holding 11."""
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident memory of this process now (VmRSS), in MiB; its peak where /proc is missing."""
    current = _status_mib("VmRSS")
    return current if current is not None else rss_mib()


def best_of(function: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """(fastest wall-clock seconds over `repeat` calls, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_worker(script: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run `script --worker SPEC` in a fresh interpreter and return the JSON it prints last.

    A process per measurement: the peak memory it reports is that model's alone, and no model's allocations
    (or imports) slow or flatter the next one.
    """
    command = [sys.executable, str(script), "--worker", json.dumps(spec)]
    completed = subprocess.run(command, capture_output=True, text=True, env=bench_env())
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} {spec} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("HF_DATASETS_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def worker_main(handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> bool:
    """When called as `script --worker SPEC`, run the handler SPEC names, print its JSON and return True."""
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        spec = json.loads(sys.argv[2])
        print(json.dumps(handlers[spec["kind"]](spec)))
        return True
    return False


def import_dataset(format: str, paths: Sequence[Path], name: str, **options: Any) -> Path:
    """`toolkit dataset import`'s own function, into the benchmark's work folder."""
    from toolkit.dataset.importers import import_corpus

    output = WORK / "data" / name
    import_corpus(format, list(paths), output, seed=SEED, **options)
    return output


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    try:
        import numpy  # noqa: F401 - loads the BLAS that threadpoolctl then describes
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')}, {info.get('num_threads')} threads)"
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        )
    except ImportError:
        blas = "unknown"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load(),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "blas": blas,
        "openblas_env": ", ".join(f"{k}={v}" for k, v in os.environ.items() if k.startswith("OPENBLAS_"))
        or "unset",
    }


def load() -> str:
    """The 1, 5 and 15-minute load averages: other work on the machine slows every timing."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def versions(*names: str) -> str:
    from importlib import metadata

    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(path: Path, section: str, begin: str, end: str) -> None:
    """Replace one script's section of RESULTS.md (between its `begin` and `end` markers), or append it at the
    end; every other section of the file is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = f"{begin}\n{section}{end}\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def section_head(title: str, info: dict[str, str], command: str) -> str:
    """A RESULTS.md section's heading and its date, load, machine and command lines."""
    return (
        f"## {title}\n\n"
        f"- Date: {info['date']}; load average (1/5/15 min) {info['load']} at the start, "
        f"{info.get('load_end', '?')} at the end.\n"
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']}; Python {info['python']}.\n"
        f"- Command: `{command}`\n\n"
    )


def finish(
    name: str,
    saved: dict[str, Any],
    results: Path | None,
    section: str,
    markers: tuple[str, str],
    printed: str,
) -> None:
    """A script's last steps: its raw numbers to .cache/bench/NAME.json, its section of RESULTS.md when asked,
    its table on standard output."""
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / f"{name}.json").write_text(json.dumps(saved, indent=1))
    if results:
        write_section(results, section, *markers)
        log(f"wrote {results}")
    print(printed)


def write_results(path: Path, body: str) -> None:
    """Put `body` between the bench markers of RESULTS.md, keeping every other section (Label Studio export)."""
    block = f"{BEGIN}\n{body.strip()}\n{END}"
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
        else:
            text = f"{block}\n\n{text}"
    else:
        text = f"# Benchmark results\n\n{block}\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def script_main(
    doc: str, run: Callable[[Path], dict[str, Any]], markdown: Callable[[dict[str, Any]], str]
) -> None:
    """Run one benchmark script on its own: `python bench/NAME.py [--data DIR]` prints its table and raw numbers."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    results = run(args.data)
    print(markdown(results))
    print(json.dumps(results, indent=1))
