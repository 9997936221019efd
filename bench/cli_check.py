"""End to end from the command line, once per corpus: `toolkit dataset import` → `toolkit train` → `toolkit evaluate`.

    python bench/cli_check.py [--data ../shared/data]

The same commands as bench/README.md, run from the project root by the `toolkit` of this interpreter's
virtualenv, with the datasets under .cache/bench/cli/ and an MLflow store of their own there. Each command's
exit status and wall time are recorded, and the score `toolkit evaluate` writes is reported.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, WORK, bench_env, log, script_main, table

TOOLKIT = Path(sys.executable).parent / "toolkit"
# corpus → (import arguments after the files, files, experiment, evaluate options, headline metric)
CHECKS = [
    ("conll2003", ["--format", "conll2003"], ["conll2003-en/eng.train", "conll2003-en/eng.testa"],
     "experiments/entities-rich.toml", [], "span_f1"),
    ("finer", ["--format", "finer"], ["finer-ord/train.csv", "finer-ord/val.csv"],
     "experiments/entities-rich.toml", [], "span_f1"),
    ("hipe", ["--format", "hipe"],
     ["hipe2020-fr/HIPE-data-v0.9-train-fr.tsv", "hipe2020-fr/HIPE-data-v1.4-dev-fr.tsv"],
     "experiments/entities-rich.toml", [], "span_f1"),
    ("szeged-wiki", ["--format", "szeged", "--validation", "0.2", "--test", "0", "--seed", "13"],
     ["szeged-uncertainty/wiki.xml"], "experiments/claims-svm-cues.toml", ["--positive", "uncertain"],
     "positive_f1"),
]  # fmt: skip


def _relative(path: Path) -> str:
    return os.path.relpath(path, ROOT)


def commands(data_root: Path, output_root: Path) -> list[tuple[str, list[list[str]], str]]:
    """(corpus, the import and train commands, metric) for each corpus present; evaluate is added at run time."""
    planned = []
    for key, options, files, experiment, _, metric in CHECKS:
        paths = [data_root / file for file in files]
        if not all(path.is_file() for path in paths):
            continue
        output = _relative(output_root / key)
        planned.append(
            (
                key,
                [
                    ["toolkit", "dataset", "import", *options, *map(_relative, paths), "--output", output],
                    ["toolkit", "train", experiment, "--data", output],
                ],
                metric,
            )
        )
    return planned


def _run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    completed = subprocess.run(
        [str(TOOLKIT), *command[1:]], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`{shlex.join(command)}` exited {completed.returncode}: {completed.stderr[-2000:]}"
        )
    return time.perf_counter() - start, completed.stdout


def run(data_root: Path) -> dict[str, Any]:
    output_root = WORK / "cli"
    output_root.mkdir(parents=True, exist_ok=True)
    env = {**bench_env(), "MLFLOW_TRACKING_URI": f"sqlite:///{output_root / 'mlflow.db'}"}
    results: dict[str, Any] = {"checks": [], "skipped": [key for key, *_ in CHECKS]}
    for key, planned, metric in commands(data_root, output_root):
        results["skipped"].remove(key)
        log(f"cli: {key}")
        evaluate_options = next(check[4] for check in CHECKS if check[0] == key)
        check: dict[str, Any] = {"corpus": key, "commands": [], "seconds": [], "metric": metric}
        results["checks"].append(check)
        try:
            for command in planned:
                check["commands"].append(shlex.join(command))
                seconds, stdout = _run(command, env)
                check["seconds"].append(seconds)
            model_uri = re.findall(r"^\s+model: (\S+)$", stdout, re.MULTILINE)[-1]
            metrics_path = _relative(output_root / f"{key}-metrics.json")
            evaluate = ["toolkit", "evaluate", model_uri, planned[0][-1], "--split", "validation",
                        *evaluate_options, "--output", metrics_path]  # fmt: skip
            check["commands"].append(shlex.join(evaluate))
            seconds, _ = _run(evaluate, env)
            check["seconds"].append(seconds)
            check["value"] = json.loads((ROOT / metrics_path).read_text())["metrics"][metric]
        except RuntimeError as error:
            check["error"] = str(error).strip().splitlines()[-1][:300]
            log(f"cli: {key} failed: {check['error']}")
    return results


def markdown(results: dict[str, Any]) -> str:
    if not results["checks"]:
        return f"Skipped (absent): {', '.join(results['skipped'])}"
    rows = []
    for check in results["checks"]:
        seconds = [f"{s:.1f}" for s in check["seconds"]] + ["–"] * (3 - len(check["seconds"]))
        outcome = (
            f"{check['metric']} {check['value']:.4f}" if "value" in check else f"FAILED: {check['error']}"
        )
        rows.append([check["corpus"], *seconds, outcome])
    commands_text = "\n".join(command for check in results["checks"] for command in check["commands"])
    body = table(
        ["corpus", "import s", "train s (fit + MLflow logging)", "evaluate s", "toolkit evaluate"], rows
    )
    failed = [check["corpus"] for check in results["checks"] if "error" in check]
    status = f"the last command shown for {', '.join(failed)} failed" if failed else "every one exited 0"
    skipped = f"\n\nSkipped (absent): {', '.join(results['skipped'])}" if results["skipped"] else ""
    return f"{body}\n\nCommands run ({status}):\n\n```\n{commands_text}\n```{skipped}"


if __name__ == "__main__":
    script_main(__doc__, run, markdown)
