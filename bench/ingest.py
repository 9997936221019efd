"""`toolkit ingest` grows linearly with its input: one single-line text of 5 to 50 MB, one article of 12,500
to 100,000 short lines.

    .venv/bin/python bench/ingest.py --repeat 2 --before b50b79f   # ~8 min on 2 cores; its section of RESULTS.md
    .venv/bin/python bench/ingest.py --megabytes 1 2 --lines 5000 10000 --no-write   # a quick look

The inputs are made from `toolkit.ingest.synthetic` articles (bilingual news sentences with amounts,
percentages, names and reported speech): for the single line, their texts joined by spaces up to the size in
bytes of UTF-8; for the lines, one sentence a line and a blank line between articles, so that about half of
the lines repeat an earlier one (the generator reuses its phrases) and the repeated-line detection works.
Each input is written to a .txt file and read by `toolkit.ingest.ingest`, the function behind `toolkit
ingest`, in a fresh process: wall and CPU seconds of the call, and the process's peak resident memory over its
resident memory after the imports (VmHWM over VmRSS, /proc/self/status). Per doubling of the input, 2.0 is
linear and 4.0 quadratic; the verdict is read on CPU seconds, which hardly move when something else runs.

`--before REV` also runs the toolkit of a git revision (extracted with `git archive`) and the current one on
small inputs, each process stopped after `--timeout` seconds, to show what changed.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, WORK, bench_env, load, log, machine, table, worker_main, write_section

SCRIPT = Path(__file__).resolve()
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- ingest-scaling:begin -->", "<!-- ingest-scaling:end -->"
MEGABYTES = (5, 10, 25, 50)
LINES = (12_500, 25_000, 50_000, 100_000)
BEFORE_MEGABYTES = (0.5, 1, 2, 4)
BEFORE_LINES = (2_000, 4_000, 8_000, 16_000)
SEED = 13
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _texts(seed: int):
    sys.path.insert(0, str(ROOT))
    from toolkit.ingest.synthetic import synthetic_articles

    return (article["text"] for article in synthetic_articles(10**9, seed=seed))


def write_single_line(path: Path, megabytes: float) -> dict[str, Any]:
    """One line of synthetic article texts joined by spaces, `megabytes` × 10⁶ bytes of UTF-8 or just over."""
    target, size, parts = int(megabytes * 1_000_000), 0, []
    for text in _texts(SEED):
        parts.append(text)
        size += len(text.encode("utf-8")) + 1
        if size >= target:
            break
    text = " ".join(parts)
    path.write_text(text, encoding="utf-8")
    return {"input": f"{megabytes:g} MB", "characters": len(text), "bytes": path.stat().st_size}


def write_lines(path: Path, count: int) -> dict[str, Any]:
    """One article of `count` lines: synthetic articles' sentences, one a line, a blank line between articles."""
    paragraphs: list[str] = []
    left = count
    for text in _texts(SEED):
        sentences = _SENTENCE_END.split(text)[:left]
        paragraphs.append("\n".join(sentences))
        left -= len(sentences)
        if not left:
            break
    text = "\n\n".join(paragraphs)
    path.write_text(text + "\n", encoding="utf-8")
    return {"input": f"{count:,} lines", "characters": len(text), "bytes": path.stat().st_size}


def status_mib(field: str) -> float:
    """A memory line of /proc/self/status in MiB: VmRSS (resident now) or VmHWM (its peak so far).

    Not getrusage: its ru_maxrss survives exec, so a worker would start at the peak of the process that spawned
    it (here the one that made a 50 MB input). VmHWM belongs to the worker's own address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: `ingest` on the one file, timed, with the peak memory it added."""
    sys.path.insert(0, spec["root"])
    from toolkit.ingest import ingest

    base = status_mib("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    result = ingest([Path(spec["path"])])
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - start
    [article] = result.articles
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "rss_base_mib": base,
        "rss_peak_mib": status_mib("VmHWM"),
        "sentences": len(article.sentences),
        "repeated": result.repeated_lines,
        "boilerplate": result.boilerplate_lines,
    }


def run_measure(path: Path, root: Path, timeout: float | None) -> dict[str, Any] | None:
    """`measure` in a fresh interpreter; None when it runs past `timeout` seconds (it is killed)."""
    spec = json.dumps({"kind": "measure", "path": str(path), "root": str(root)})
    command = [sys.executable, str(SCRIPT), "--worker", spec]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=bench_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def series(
    kind: str, sizes: list[float], repeat: int, root: Path = ROOT, timeout: float | None = None
) -> list[dict[str, Any]]:
    """Per size: the input made, then `repeat` processes; the one with the lowest CPU time counts."""
    folder = WORK / "ingest"
    folder.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    try:
        for size in sizes:
            if runs and runs[-1].get("timed_out"):
                runs.append({"input": "", "size": size, "timed_out": True, "not_run": True})
                continue
            path = folder / f"{kind}-{size:g}.txt"
            made = write_single_line(path, size) if kind == "line" else write_lines(path, int(size))
            log(f"ingest ({root.name}): {made['input']} ({made['bytes']:,} bytes)")
            tries = [run_measure(path, root, timeout) for _ in range(repeat)]
            path.unlink()
            if None in tries:
                runs.append({**made, "size": size, "timed_out": True})
                continue
            best = min(tries, key=lambda run: run["cpu_s"])
            runs.append({**made, **best, "size": size, "cpu_all": [round(run["cpu_s"], 2) for run in tries]})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return runs


def per_doubling(before: dict[str, Any] | None, after: dict[str, Any], value: str) -> str:
    """How much `value` grows when the input doubles, from two sizes that need not be a doubling apart."""
    if before is None or before.get("timed_out") or after.get("timed_out"):
        return "–"
    if value == "over":
        first, last = (run["rss_peak_mib"] - run["rss_base_mib"] for run in (before, after))
    else:
        first, last = before[value], after[value]
    if first <= 0 or last <= 0:
        return "–"
    return f"{(last / first) ** (1 / math.log2(after['size'] / before['size'])):.2f}×"


HEADER = [
    "input",
    "characters",
    "sentences",
    "repeated lines dropped",
    "wall s",
    "CPU s",
    "CPU per doubling",
    "throughput (CPU)",
    "peak RSS MiB",
    "over baseline MiB",
    "over baseline per doubling",
    "over baseline / input size",
]


def rows(runs: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for index, run in enumerate(runs):
        before = runs[index - 1] if index else None
        over = run["rss_peak_mib"] - run["rss_base_mib"]
        if run["input"].endswith("lines"):
            rate = f"{run['size'] / run['cpu_s']:,.0f} lines/s"
        else:
            rate = f"{run['bytes'] / 1e6 / run['cpu_s']:.2f} MB/s"
        out.append(
            [
                run["input"],
                f"{run['characters']:,}",
                f"{run['sentences']:,}",
                f"{run['repeated']:,}",
                f"{run['seconds']:.2f}",
                f"{run['cpu_s']:.2f}",
                per_doubling(before, run, "cpu_s"),
                rate,
                f"{run['rss_peak_mib']:,.0f}",
                f"{over:,.0f}",
                per_doubling(before, run, "over"),
                f"{over * 2**20 / run['bytes']:.1f}×",
            ]
        )
    return out


def compared(old: list[dict[str, Any]], new: list[dict[str, Any]], timeout: float) -> list[list[str]]:
    out = []
    for index, (then, now) in enumerate(zip(old, new, strict=False)):
        previous = (old[index - 1] if index else None), (new[index - 1] if index else None)
        out.append(
            [
                now["input"],
                "not run"
                if then.get("not_run")
                else f"> {timeout:g} s wall (stopped)"
                if then.get("timed_out")
                else f"{then['cpu_s']:.2f}",
                per_doubling(previous[0], then, "cpu_s"),
                f"{now['cpu_s']:.2f}",
                per_doubling(previous[1], now, "cpu_s"),
            ]
        )
    return out


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def report(results: dict[str, Any]) -> str:
    about = results["machine"]
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--", "toolkit") else ""
    lines = [
        "## Ingest: linear in its input",
        "",
        f"{about['date']} · {about['cpus']} cores ({about['cpu']}), {about['memory']} RAM, Python"
        f" {about['python']}, Linux {platform.release()} · load average {results['load_before']} before,"
        f" {results['load_after']} after · toolkit at {_git('rev-parse', '--short', 'HEAD')}{dirty}",
        "",
        f"Command: `{results['command']}` ({results['seconds']:.0f} s in all). `toolkit.ingest.ingest` on one"
        " .txt file, in a fresh process per measurement (the lowest CPU time of the processes listed under each"
        " table counts); peak RSS is the process's VmHWM, over its VmRSS after the imports. Inputs"
        f" made from `toolkit.ingest.synthetic` articles (seed {SEED}). Per doubling: 2.0 is linear, 4.0"
        " quadratic.",
        "",
        "### One single-line text",
        "",
        table(HEADER, rows(results["line"])),
        "",
        f"CPU seconds of every process: {[run['cpu_all'] for run in results['line']]}",
        "",
        "### One article of short lines (one sentence a line, a blank line between the made-up articles)",
        "",
        table(HEADER, rows(results["lines"])),
        "",
        f"CPU seconds of every process: {[run['cpu_all'] for run in results['lines']]}",
    ]
    if "before" in results:
        timeout, revision = results["timeout"], results["before"]
        header = ["input", f"CPU s at {revision}", "per doubling", "CPU s now", "per doubling"]
        lines += [
            "",
            f"### Before and after, on small inputs (the toolkit of {revision}, each process stopped after"
            f" {timeout:g} s)",
            "",
            table(header, compared(results["before_line"], results["after_line"], timeout)),
            "",
            table(header, compared(results["before_lines"], results["after_lines"], timeout)),
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, nargs="+", default=list(MEGABYTES))
    parser.add_argument("--lines", type=int, nargs="+", default=list(LINES))
    parser.add_argument(
        "--repeat", type=int, default=1, help="processes per size; the lowest CPU time counts"
    )
    parser.add_argument(
        "--before", metavar="REV", help="also time this git revision's toolkit on small inputs"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds per process with --before")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args()
    began, load_before = time.perf_counter(), load()
    results: dict[str, Any] = {"machine": machine(), "load_before": load_before}
    results["line"] = series("line", args.megabytes, args.repeat)
    results["lines"] = series("lines", args.lines, args.repeat)
    if args.before:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
            old = Path(folder) / args.before
            old.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.before, "toolkit"], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            for kind, sizes in (("line", BEFORE_MEGABYTES), ("lines", BEFORE_LINES)):
                results[f"before_{kind}"] = series(kind, list(sizes), 1, old, args.timeout)
                results[f"after_{kind}"] = series(kind, list(sizes), 1)
        results.update(before=args.before, timeout=args.timeout)
    results.update(
        load_after=load(),
        seconds=time.perf_counter() - began,
        command=" ".join([".venv/bin/python bench/ingest.py", *sys.argv[1:]]),
    )
    section = report(results)
    print(section)
    print(json.dumps({key: value for key, value in results.items() if key != "machine"}, indent=1))
    if not args.no_write:
        write_section(args.results, section, BEGIN, END)
        print(f"wrote the 'Ingest: linear in its input' section of {args.results}")
    return 0


if __name__ == "__main__":
    if not worker_main({"measure": measure}):
        sys.exit(main())
