"""Annotations and public corpora → versioned `datasets` DatasetDicts (claims, entities), split by article.

On disk, a dataset directory holds `claims/` and/or `entities/` (each a DatasetDict saved with save_to_disk,
splits train/validation/test) and `manifest.json`: the full content hash that versions it, where it came from,
and what was dropped. `build` reads Label Studio exports, `importers` public corpora; both write through `store`.
"""

from __future__ import annotations

from toolkit.dataset.build import (
    DEFAULT_EXPORTS,
    DEFAULT_TRAINING,
    BuildResult,
    build_dataset,
    latest_snapshots,
    training_snapshots,
)
from toolkit.dataset.store import (
    MANIFEST,
    SPLITS,
    Manifest,
    content_hash,
    load_dataset,
    split_groups,
    write_dataset,
)

__all__ = [
    "BuildResult",
    "DEFAULT_EXPORTS",
    "DEFAULT_TRAINING",
    "MANIFEST",
    "Manifest",
    "SPLITS",
    "build_dataset",
    "content_hash",
    "latest_snapshots",
    "load_dataset",
    "split_groups",
    "training_snapshots",
    "write_dataset",
]
