"""What a person reads on a run's page besides numbers: its description and its errors as a readable page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.training.fit import FitResult
from toolkit.training.judges import judge_headline
from toolkit.training.search import describe

__all__ = ["COLUMNS", "errors_html", "run_description"]

COLUMNS = ["article_id", "text", "expected", "predicted", "probability"]


def errors_html(rows: list[dict[str, Any]], title: str) -> str:
    """The misclassified rows as a small HTML page: whole sentences wrapped, the least sure predictions first."""
    from html import escape

    def cell(value: Any) -> str:
        return "" if value is None else escape(f"{value:.2f}" if isinstance(value, float) else str(value))

    ordered = sorted(rows, key=lambda row: (row["probability"] is None, row["probability"] or 0.0))
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[column])}</td>" for column in COLUMNS) + "</tr>\n" for row in ordered
    )
    head = "".join(f"<th>{column}</th>" for column in COLUMNS)
    style = (
        "body{font:14px sans-serif;margin:1em}table{border-collapse:collapse;width:100%}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
        "td:nth-child(2){width:55%}"
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>{escape(title)}</title><style>{style}</style>"
        f"<h3>{escape(title)}: {len(rows)} misclassified</h3><table><tr>{head}</tr>\n{body}</table>\n"
    )


def run_description(result: FitResult) -> str:
    """The run page's description (markdown): headline scores first (the runs table shows the first line), then
    what was trained on which data."""
    experiment, task, outcome = result.experiment, result.task, result.search
    scores = [
        f"{split}.{task.headline} {result.scores[split][task.headline]:.3f}"
        for split in ("validation", "validation.transfer", "test")
        if task.headline in result.scores.get(split, {})
    ]
    rows = ", ".join(f"{split} {len(result.dataset[split])}" for split in result.dataset)
    model = ", ".join(
        f"{key.removeprefix('model.')}={value}"
        for key, value in result.params.items()
        if key.startswith("model.") and key != "model.estimator"
    )
    manifest = result.manifest
    sources = (
        ", ".join(Path(source["path"]).name for source in manifest.get("sources", [])) or "(none listed)"
    )
    lines = [
        " · ".join(scores) or "no validation or test split",
        f"**Trained:** {experiment.estimator}({model}) from `{experiment.path.name}`"
        + (f": {experiment.description}" if experiment.description else ""),
        f"**Data:** dataset {result.data_version[:8]} (`{result.data_path}`), rows: {rows}; "
        f"from {sources}; content sha256 {manifest['content_hash'][:12]}…",
    ]
    mixed = [
        f"{item['name']} ({item['rows']:,} rows × {item['weight']:g}"
        + (
            f"; its validation {judge_headline(task, item['name'])} {item['validation']:.3f})"
            if item["validation"] is not None
            else ")"
        )
        for item in result.source_summaries()
    ]
    if mixed or result.skipped_sources:
        skipped = f"; absent, skipped: {', '.join(result.skipped_sources)}" if result.skipped_sources else ""
        lines.append(f"**Mixed in:** {', '.join(mixed) or 'nothing'}{skipped}")
    if result.judges:
        judged = [
            f"{name} {result.scores[f'validation.{name}'][judge_headline(task, name)]:.3f}"
            for name in result.judges
            if name != "ours"
        ]
        lines.append(
            f"**Judged on:** our validation and the public validation splits present: {', '.join(judged)}; "
            f"their mean (validation.transfer.{task.headline}) is what `toolkit runs select` chooses by"
        )
    if outcome is not None:
        lines.append(
            f"**Search:** {outcome.spec.method} over {len(outcome.candidates)} candidates (nested runs), "
            f"best {describe(outcome.best_params)}: cv {outcome.spec.scoring} "
            f"{outcome.best.mean:.3f} ± {outcome.best.std:.3f}"
        )
    return "\n\n".join(lines)  # paragraphs: markdown joins single lines
