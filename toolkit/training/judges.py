"""Judges: the public corpora every run is scored on, so that runs are chosen for text they were not tuned on.

Our validation split is some twenty articles from two sources. A model chosen on it alone is chosen for those
articles: in `make train` the entity run it picked scored 0.52 on CoNLL-2003's dev set where a run 0.006 behind it
scored 0.92. So every run of a task is also scored on the validation splits of the public corpora that
`toolkit dataset import-public` / `public-claims` imported (whichever are present), whether or not the run trained
on them, and logs

- `validation.<corpus>.*`: the corpus's own scores (entities: span F1 on the types it annotates, as for a mixed-in
  source; claims: the one distinction its human labels make, see `CLAIMS_JUDGES`);
- `validation.transfer.<headline>`: the unweighted mean of our validation headline and each judge's, one vote per
  source, which `toolkit runs select` chooses by; `transfer.judges` (a param) names the sources averaged, so runs
  scored by different judges are never compared.

Only human labels judge: MEANTIME's and PolNeAR's claims datasets are labelled by rules (weak sources for
training), so they are not judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.tasks import TaskSpec
from toolkit.training.sources import labels_of

__all__ = [
    "ENTITY_JUDGES",
    "CLAIMS_JUDGES",
    "ClaimsJudge",
    "judge_headline",
    "score_judges",
    "transfer_score",
]

# The public entity corpora, as `toolkit dataset import-public` names them (already mapped to our types).
ENTITY_JUDGES = ("winer-fr", "conll2003-en", "europeana-ner-fr", "hipe2020-fr", "finer-ord")


@dataclass(frozen=True)
class ClaimsJudge:
    """A binary distinction a public corpus's human labels make, and the status of ours that stands for it."""

    name: str  # the dataset folder `toolkit dataset public-claims` writes
    label: str  # the corpus's own label (its sentences are the positives)
    status: str  # the claim status a model must predict for them
    headline: str  # "f1": the positive class's F1; "macro_f1": both classes' mean


CLAIMS_JUDGES = (
    # Szeged's hedged Wikipedia sentences (the hidden FactBank-news hedge target's nearest public proxy).
    ClaimsJudge("szeged-wiki", "uncertain", "SPECULATIVE", "f1"),
    # NewsSD's subjective news sentences: OPINION against the rest, as the subjectivity task scores it.
    ClaimsJudge("newssd", "SUBJ", "OPINION", "macro_f1"),
)


def _judges(task: TaskSpec) -> dict[str, ClaimsJudge | None]:
    """name → the claims distinction it judges (None for an entity corpus, scored on its own types)."""
    if task.sequence:
        return dict.fromkeys(ENTITY_JUDGES)
    return {judge.name: judge for judge in CLAIMS_JUDGES}


def judge_headline(task: TaskSpec, name: str) -> str:
    """The score of a judge that `validation.transfer.*` averages (our own validation's: the task's headline)."""
    judge = _judges(task).get(name)
    return task.headline if judge is None else judge.headline


def _validation(folder: Path, task: TaskSpec) -> tuple[Any, list] | None:
    from toolkit.dataset import load_dataset

    if not (folder / "manifest.json").is_file():
        return None
    try:
        dataset, _ = load_dataset(folder, task.name)
    except Exception:  # noqa: BLE001 - a folder of another task, or half written: it just does not judge
        return None
    if "validation" not in dataset or not len(dataset["validation"]):
        return None
    return task.xy(dataset["validation"])


def span_scores_on(model: Any, X: Any, y: list, types: set[str]) -> dict[str, float]:
    """Span scores of the model on sentences annotated for `types` only: a span of another type it predicts is
    not counted against it (a DATE found in CoNLL-2003, which has no DATE layer)."""
    from toolkit.models.metrics import span_metrics

    predicted = [
        [tag if tag == "O" or tag[2:] in types else "O" for tag in tags] for tags in model.predict(X)
    ]
    return span_metrics(y, predicted)


def _claims_scores(model: Any, judge: ClaimsJudge, X: Any, y: list) -> dict[str, float]:
    from sklearn.metrics import f1_score

    truth = [label == judge.label for label in y]
    guessed = [status == judge.status for status in model.predict(X)]
    return {
        "f1": float(f1_score(truth, guessed, zero_division=0)),
        "macro_f1": float(f1_score(truth, guessed, average="macro", zero_division=0)),
        "positives": float(sum(truth)),
        "rows": float(len(truth)),
    }


def score_judges(model: Any, task: TaskSpec, folder: str | Path | None) -> dict[str, dict[str, float]]:
    """`{"validation.<corpus>": scores}` for each judge of the task present under `folder` (none when absent)."""
    if folder is None or not Path(folder).is_dir():
        return {}
    scores: dict[str, dict[str, float]] = {}
    for name, judge in _judges(task).items():
        split = _validation(Path(folder) / name, task)
        if split is None:
            continue
        X, y = split
        scores[f"validation.{name}"] = (
            span_scores_on(model, X, y, labels_of(task, y))
            if judge is None
            else _claims_scores(model, judge, X, y)
        )
    return scores


def transfer_score(
    task: TaskSpec, ours: dict[str, float], judged: dict[str, dict[str, float]]
) -> tuple[float, list[str]] | None:
    """(mean of our validation headline and each judge's in `judged`, the sources averaged), or None when there
    is no judge or no validation split of ours."""
    if not judged or task.headline not in ours:
        return None
    values, names = [ours[task.headline]], ["ours"]
    for key, scores in judged.items():
        name = key.removeprefix("validation.")
        values.append(scores[judge_headline(task, name)])
        names.append(name)
    return sum(values) / len(values), names
