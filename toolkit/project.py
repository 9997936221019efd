"""The project's conventions, said once: where things live by default, the languages, the seed, offline hubs.

Paths are relative to the project root, where `make` and the README's commands run.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "SEED",
    "SCHEMA",
    "LABELING_CONFIG",
    "GUIDELINES",
    "EXPORTS",
    "TRAINING",
    "DATA",
    "PUBLIC_DATA",
    "SHARED_DATA",
    "offline_hubs",
]

LANGUAGES = ("fr", "en")
SEED = 13
SCHEMA = Path("annotations/schema.toml")
LABELING_CONFIG = Path("annotations/labeling_config.xml")
GUIDELINES = Path("annotations/GUIDELINES.md")
EXPORTS = Path("annotations/exports")  # annotations/exports/<project>/<UTC time>.json
TRAINING = Path("annotations/training.toml")  # the projects make train learns from
DATA = Path("data/corpus")  # the dataset make train builds
# The public corpora, read where present, never copied into the repository; and where make train imports them.
SHARED_DATA = Path("../shared/data")
PUBLIC_DATA = Path("data/public")


def offline_hubs() -> None:
    """No model or dataset hub is reached (none is reachable here, and a lookup costs a DNS timeout), unless the
    user's environment already says otherwise."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
