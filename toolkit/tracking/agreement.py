"""Agreement figures as an MLflow run in the experiment `toolkit-agreement` (`toolkit agreement --log`).

One run per measurement, so the runs of a project chart how agreement moves as guidelines change. Params: the
project (or the export file), the snapshot (the file, or the sha256 of the export fetched from Label Studio) and
the guidelines hash. Metrics, flat names: `alpha`, `entity_f1`, `tasks`, `sentences`, `disagreements`,
`kappa.pair.<a>_<b>`, `kappa.class.<CLASS>`, `entity_f1.<TYPE>`. Figures that are not a number (alpha with nothing
to pair) are left out rather than logged as NaN.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.dataset.agreement import AgreementReport

__all__ = ["EXPERIMENT", "AgreementRun", "agreement_metrics", "log_agreement"]

EXPERIMENT = "toolkit-agreement"


@dataclass(frozen=True)
class AgreementRun:
    run_id: str
    experiment: str
    tracking_uri: str
    metrics: int


def _name(value: str) -> str:
    """A metric-name part MLflow accepts (letters, digits, `_ - . /` and spaces)."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", value)


def agreement_metrics(report: AgreementReport) -> dict[str, float]:
    metrics: dict[str, float] = {
        "alpha": report.alpha,
        "entity_f1": report.entity_f1,
        "tasks": report.tasks,
        "sentences": report.sentences,
        "disagreements": len(report.disagreements),
    }
    for pair in report.pairs:
        a, b = (_name(who) for who in pair.annotators)
        metrics[f"kappa.pair.{a}_{b}"] = pair.kappa
        metrics[f"entity_f1.pair.{a}_{b}"] = pair.entity_f1
    metrics.update({f"kappa.class.{_name(label)}": value for label, value in report.per_class_kappa.items()})
    metrics.update({f"entity_f1.{_name(kind)}": value for kind, value in report.per_type_f1.items()})
    return {name: float(value) for name, value in metrics.items() if not math.isnan(float(value))}


def log_agreement(
    report: AgreementReport,
    *,
    project: str,
    snapshot: str,
    guidelines: Path | None = None,
    tracking_uri: str | None = None,
) -> AgreementRun:
    """Log `report` as one run of `toolkit-agreement`; returns its id."""
    import mlflow

    from toolkit.tracking.store import experiment_id_for, git_state, guidelines_tags, use_tracking

    uri = use_tracking(tracking_uri)
    experiment_id = experiment_id_for(EXPERIMENT, uri)
    metrics = agreement_metrics(report)
    tags = {**git_state(), **(guidelines_tags(guidelines) if guidelines is not None else {})}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"agreement · {project}", tags=tags) as run:
        mlflow.log_params({"project": project, "snapshot": snapshot})
        mlflow.log_metrics(metrics)
    return AgreementRun(run.info.run_id, EXPERIMENT, uri, len(metrics))
