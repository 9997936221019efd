"""EntityTagger's token features: per word type, then shifted to neighbours, plus the issue 9 families.

A mixin so the estimator module keeps the estimator API, training and decoding; it reads the tagger's
parameters (feature_set, window, n_features, rule_features, gazetteer, word_dropout, dropout_affixes) and
fitted attributes (vocabularies, clusters, gazetteer, feature rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toolkit.models.features import (
    FAR,
    N_BASIC,
    NEAR,
    SLOT,
    SLOTS,
    Batch,
    cluster_table,
    contains,
    feature_code,
    hash_strings,
    mix,
    region_codes,
    rule_regions,
    type_strings,
)
from toolkit.models.gazetteer import match

__all__ = ["TokenFeatures"]

# Slots that name the word itself (and what the training vocabulary says of it): what word dropout hides.
_IDENTITY = ("w", "lower", "lcknown", "capknown")
_AFFIXES = ("suf1", "suf2", "suf3", "suf4", "pre1", "pre2", "pre3", "pre4")


class TokenFeatures:
    """The feature extraction of EntityTagger (see its parameters)."""

    def _read_clusters(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted hash codes of the clustered words, their cluster ids per level): empty without `clusters`."""
        if self.clusters is None:
            return np.zeros(0, dtype=np.uint64), np.zeros((0, 0), dtype=np.int32)
        from toolkit.models.clusters import read_clusters

        words, ids, _ = read_clusters(Path(self.clusters))
        codes = hash_strings(words)
        order = np.argsort(codes, kind="stable")
        return codes[order], ids[order]

    # ---- features ----------------------------------------------------------------------------------------

    def _type_table(self, types: Sequence[str]) -> np.ndarray:
        """Hash codes (n_types, n_slots) of every slot of every word type."""
        lowers = [word.lower() for word in types]
        lowercase_known = contains(self.lowercase_vocab_, lowers)
        titlecase_known = contains(self.titlecase_vocab_, [lower.title() for lower in lowers])
        strings: list[str] = []
        for word, lower_seen, title_seen in zip(types, lowercase_known, titlecase_known, strict=True):
            strings.extend(type_strings(word, bool(lower_seen), bool(title_seen)))
        return hash_strings(strings).reshape(len(types), len(SLOTS))

    def _features(
        self, batch: Batch, hidden: np.ndarray | None = None, regions: list[str] | None = None
    ) -> np.ndarray:
        """Hashed feature columns (n_tokens, n_active) of every token of the batch.

        `hidden`: tokens whose identity slots take the unknown-word value (word dropout); `regions`: the
        gazetteer regions of the tokens (k-fold ones in training), else matched with `gazetteer_`.
        """
        table = self._type_table(batch.types)
        ids, position, length = batch.type_ids, batch.position, batch.length_of_token
        rich = self.feature_set == "rich"
        last = max(len(ids) - 1, 0)
        if self.word_dropout > 0 and hidden is None:
            hidden = self._unseen(table[ids, SLOT["lower"]])
        hide = _IDENTITY + (_AFFIXES if self.dropout_affixes else ())

        def at(slot: str) -> np.ndarray:
            values = table[ids, SLOT[slot]]
            if hidden is not None and slot in hide:
                values = np.where(hidden, hash_strings([f"{slot}=<unknown>"])[0], values)
            return values

        def shift(values: np.ndarray, offset: int, pad: np.ndarray | int) -> np.ndarray:
            inside = (position + offset >= 0) & (position + offset < length)
            return np.where(inside, values[np.clip(np.arange(len(ids)) + offset, 0, last)], pad)

        def neighbour(slot: str, offset: int) -> np.ndarray:
            return shift(at(slot), offset, table[0 if offset < 0 else 1, SLOT[slot]])

        columns = [at(slot) for slot in SLOTS[: len(SLOTS) if rich else N_BASIC]]
        for distance in range(1, self.window + 1):
            names = NEAR[self.feature_set] if distance == 1 else FAR[self.feature_set]
            for offset in (-distance, distance):
                columns.extend(mix(neighbour(name, offset), 1000 + offset) for name in names)
        columns.append(np.full(len(ids), feature_code("bias"), dtype=np.uint64))
        if rich:
            lower, sshape = at("lower"), table[ids, SLOT["sshape"]]
            columns.append(mix(sshape, feature_code("position") + np.minimum(position, 3).astype(np.uint64)))
            headline = self._headline(batch)
            columns.append(mix(sshape, feature_code("headline-shape") + headline))
            columns.append(mix(lower, feature_code("headline-word") + headline))
            if self.window >= 1:
                lower_before, lower_after = neighbour("lower", -1), neighbour("lower", 1)
                sshape_before, sshape_after = neighbour("sshape", -1), neighbour("sshape", 1)
                columns.append(mix(mix(lower_before, lower), feature_code("w-1 w0")))
                columns.append(mix(mix(lower, lower_after), feature_code("w0 w+1")))
                columns.append(mix(mix(mix(sshape_before, sshape), sshape_after), feature_code("s-1 s0 s+1")))
                columns.append(mix(mix(lower_before, sshape), feature_code("w-1 s0")))
                columns.append(mix(mix(sshape, lower_after), feature_code("s0 w+1")))
        extra = []
        if self.rule_features:
            extra.append(region_codes(rule_regions(batch.sentences), "rule"))
        if self.gazetteer:
            extra.append(region_codes(regions or match(batch.sentences, self.gazetteer_), "gazetteer"))
        for codes in extra:
            columns.append(codes)
            for offset in (-1, 1):
                columns.append(mix(shift(codes, offset, 0), 2000 + offset))
        if len(self.cluster_words_):
            clusters = cluster_table(batch.types, self.cluster_words_, self.cluster_ids_)[ids]
            for level in range(clusters.shape[1]):
                columns.append(clusters[:, level])
                for offset in (-1, 1):
                    columns.append(mix(shift(clusters[:, level], offset, 0), 3000 + offset))
        return (np.stack(columns, axis=1) % np.uint64(self.n_features)).astype(np.int64)

    def _unseen(self, lower: np.ndarray) -> np.ndarray:
        """Tokens whose lowercase form has no weight row: words the training data never held."""
        columns = (lower % np.uint64(self.n_features)).astype(np.int64)
        return self.feature_rows_[columns] == len(self.coef_) - 1

    @staticmethod
    def _headline(batch: Batch) -> np.ndarray:
        """1 for tokens of sentences whose words are all upper case (news headlines, datelines), else 0."""
        has_letters = np.array([any(c.isalpha() for c in word) for word in batch.types], dtype=bool)
        lettered = has_letters[batch.type_ids]
        upper = np.array([word.isupper() for word in batch.types], dtype=bool)[batch.type_ids]
        n_sentences = len(batch.lengths)
        n_lettered = np.bincount(batch.sentence, weights=lettered, minlength=n_sentences)
        n_not_upper = np.bincount(batch.sentence, weights=lettered & ~upper, minlength=n_sentences)
        headline = (n_lettered >= 2) & (n_not_upper == 0)
        return headline[batch.sentence].astype(np.uint64)
