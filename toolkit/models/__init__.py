"""Estimators: the entity tagger and the claim classifier.

Importing this package stays cheap (no scikit-learn, numpy or scipy): the classes load on first use, so the CLI
can import `toolkit.models` for `SKOPS_TRUSTED_TYPES` without paying for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.models.claims import ClaimClassifier
    from toolkit.models.tagger import EntityTagger

__all__ = ["SKOPS_TRUSTED_TYPES", "ClaimClassifier", "EntityTagger"]

# Every type in a fitted model that skops does not trust by default; pass it as `skops_trusted_types=` to
# mlflow.sklearn.log_model and as `trusted=` to skops.io.load(s). Found with skops.io.get_untrusted_types.
# This list, never the one a model folder carries, decides what `toolkit.tracking.models.load_model` builds: add
# only classes whose construction runs no code of the file's choosing (no functions, no builtins).
SKOPS_TRUSTED_TYPES: list[str] = [
    # A ClaimClassifier with classifier="linear_svm" holds a CalibratedClassifierCV, whose fitted parts these are.
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    # ClaimClassifier(cues=Path(...)) from a notebook keeps the Path; skops rebuilds it as PosixPath(*parts).
    "pathlib.PosixPath",
    "toolkit.models.claims.ClaimClassifier",
    "toolkit.models.tagger.EntityTagger",
]

_LAZY = {"ClaimClassifier": "toolkit.models.claims", "EntityTagger": "toolkit.models.tagger"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
