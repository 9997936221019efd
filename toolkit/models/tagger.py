"""A linear-chain CRF entity tagger in numpy: hashed token features, AdaGrad mini-batch training, Viterbi.

Why a CRF trained by mini-batch AdaGrad: on CoNLL-2003, FiNER-ORD and HIPE-2020 an averaged structured
perceptron at the same features scored 1-10 points lower on the two small corpora (it overfits rare features),
and L-BFGS on the full likelihood needed ~100 passes (too slow in numpy). Ten AdaGrad passes over mini-batches
of equal-length sentences reach a better optimum for held-out data in about crfsuite's time. The CRF also gives
real tag marginals (forward-backward), which `predict_scores` returns.

Why features are built per word *type* and then shifted: every token feature is a hash of one intrinsic feature
of the word at some offset (or a conjunction of two or three), so the string work is done once per distinct
word and the rest is integer arithmetic on arrays. Every token has the same number of active features, so the
feature matrix of a batch is a dense (tokens, features) array of hashed column indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import PurePath

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from toolkit.models.crf import allowed_transitions, forward_backward, split_chain, viterbi
from toolkit.models.features import Batch, as_sentences, vocabularies
from toolkit.models.gazetteer import fold_regions, gather
from toolkit.models.params import Finite
from toolkit.models.tagger_features import TokenFeatures
from toolkit.text.bio import repair_bio

__all__ = ["EntityTagger"]

_FEATURE_SETS = ("basic", "rich")
# Sentences decoded together at prediction time (all of one length): bounds the (B, L, K, T) gather.
_DECODE_CHUNK = 512
# Training sentences are cut into this many blocks; each block's gazetteer features come from the others.
_GAZETTEER_FOLDS = 5


class EntityTagger(TokenFeatures, BaseEstimator):
    """BIO sequence tagger: a linear-chain CRF over hashed word features, with BIO-constrained Viterbi.

    `fit(X, y)` takes sentences (lists of token strings) and their tags (O, B-TYPE, I-TYPE; IOB1 input is
    repaired to IOB2). `predict` never returns an I-X that does not continue a B-X/I-X. `score` is span F1.

    Parameters
    ----------
    feature_set : "basic" or "rich"
        "basic": word, lowercase, short shape, suffixes 2-3, title/upper/digit/punct flags, and the lowercase
        and case flags of neighbours. "rich" adds the full shape, prefixes and suffixes 1-4, length, hyphen,
        two vocabulary features learned from the training data (lowercase form seen in lower case; title-case
        form seen title-cased mid-sentence), neighbour shapes and affixes, word-bigram and shape-trigram
        conjunctions, position in the sentence and an all-caps-headline context.
    window : int
        How many neighbours on each side contribute features.
    n_features : int
        Size of the hashed feature space.
    alpha : float
        L2 penalty on the weights, applied lazily: each mini-batch step penalises only the weights of the features
        it holds, by alpha × (its tokens / all tokens). A feature present in every batch gets the full penalty per
        pass; a rare feature gets the share of the batches it occurs in, so rare features are regularised less
        than the full-batch objective says (the usual sparse-SGD trade: a step touches only the rows it uses).
        The transition, start and end weights are in every step and get the full penalty.
    learning_rate : float
        AdaGrad base step size.
    max_iter : int
        Passes over the training data.
    batch_size : int
        Sentences (of equal length) per gradient step.
    random_state : int, RandomState or None
        Seeds the composition of the mini-batches and their order in each pass, and the word dropout.
    rule_features : bool
        Add where the MONEY, PERCENT and DATE rules of toolkit.models.rules match (B/I and type of the token
        and of its two neighbours) as features: the CRF learns how far to trust them. On by default: on the
        shipped corpus's dev split PERCENT F1 0.933 → 0.945, DATE 0.903 → 0.909, EN → FR span F1 0.28 → 0.35,
        for about a fifth of the prediction speed (bench/entity_features.py).
    clusters : str or None
        A word-cluster file (`toolkit clusters build`): the cluster ids of the lowercased word and its two
        neighbours at every level of the file become features. Read in `fit` and kept in the model
        (`cluster_words_`, `cluster_ids_`), so a saved model does not need the file.
    gazetteer : bool
        Add where a longest match of an entity string seen in training lies (B/I and type, the token and its
        neighbours). Training features come from a gazetteer of the other folds (see toolkit.models.gazetteer);
        the gazetteer of all training data (`gazetteer_`) serves prediction.
    word_dropout : float
        Share of training tokens whose identity (word, lowercase form, the two vocabulary flags) is replaced
        by an "unknown word" value; at prediction every word unseen in training gets that value. Why: without
        it, the model has never seen an unknown lowercase word (every training word is known), so in text of
        another language or domain the unknown-word features push whole sentences into one entity. 0.3 by default:
        with rules and clusters it lifted every cross-language and cross-corpus dev score but one (CoNLL →
        shipped EN, -0.005) and the in-corpus ones a little (bench/entity_features.py).
    dropout_affixes : bool
        With `word_dropout`, hide the prefixes and suffixes of those tokens too: the model then learns what an
        unknown word looks like from its shape, clusters and context alone, as it must in another language.
    bound_unannotated : bool
        With `fit(unannotated_types=...)`, let an O token of a corpus that never annotated MONEY or PERCENT be
        one only where it holds a digit or that type's rule matches. Left free, those types drifted onto
        ordinary words of the five public corpora ("peuvent", "Fund" as PERCENT) and our French validation's
        MONEY and PERCENT F1 fell from 0.93 to 0.70; bound, it is 0.93 and the public dev scores rose by up to
        2 points (bench/entity_sources.py). DATE stays free: binding it too cost our DATE F1 4.6 points ("ce
        matin", "l'an prochain" have no digit).
    """

    # Checked before fitting (toolkit.training.experiments.build_estimator), in scikit-learn's own terms.
    # Bounds: each neighbour adds a column per token, and `fit` keeps an int32 row per hashed feature, so a
    # window past 10 or more than 2**24 features only exhausts memory (2**24 rows is 64 MB).
    _parameter_constraints: dict = {
        "feature_set": [StrOptions(set(_FEATURE_SETS))],
        "window": [Finite(Integral, 0, 10, closed="both")],
        "n_features": [Finite(Integral, 2, 2**24, closed="both")],
        "alpha": [Finite(Real, 0, None, closed="left")],
        "learning_rate": [Finite(Real, 0, None, closed="neither")],
        "max_iter": [Finite(Integral, 1, None, closed="left")],
        "batch_size": [Finite(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "rule_features": ["boolean"],
        "clusters": [str, PurePath, None],
        "gazetteer": ["boolean"],
        "word_dropout": [Finite(Real, 0, 1, closed="left")],
        "dropout_affixes": ["boolean"],
        "bound_unannotated": ["boolean"],
    }

    def __init__(
        self,
        feature_set: str = "rich",
        window: int = 2,
        n_features: int = 2**20,
        alpha: float = 1.0,
        learning_rate: float = 0.1,
        max_iter: int = 10,
        batch_size: int = 8,
        random_state: int | np.random.RandomState | None = None,
        rule_features: bool = True,
        clusters: str | None = None,
        gazetteer: bool = False,
        word_dropout: float = 0.3,
        dropout_affixes: bool = False,
        bound_unannotated: bool = True,
    ):
        self.feature_set = feature_set
        self.window = window
        self.n_features = n_features
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.rule_features = rule_features
        self.clusters = clusters
        self.gazetteer = gazetteer
        self.word_dropout = word_dropout
        self.dropout_affixes = dropout_affixes
        self.bound_unannotated = bound_unannotated

    # ---- estimator API -----------------------------------------------------------------------------------

    def fit(
        self,
        X: Sequence[Sequence[str]],
        y: Sequence[Sequence[str]],
        sample_weight: Sequence[float] | np.ndarray | None = None,
        unannotated_types: Sequence[Sequence[str]] | None = None,
        partial_types: Sequence[Sequence[str]] | None = None,
    ) -> EntityTagger:
        """Learn weights from sentences `X` (lists of tokens) and their BIO tags `y`.

        `sample_weight` scales each sentence's share of the likelihood (a corpus mixed in at weight 0.5 counts
        half). `unannotated_types` gives, per sentence, the entity types its annotators did not label (a corpus
        with no MONEY layer): an O token of such a sentence may be any of those types (see
        `bound_unannotated`), so training sums over those paths instead of teaching that every amount of money
        is O. `partial_types` gives, per sentence, the types its annotators labelled only in part (WiNER's and
        HIPE's DATE is absolute dates, never "jeudi" or "le mois dernier"): an O token of such a sentence may be
        that type only where that type's rule (toolkit.models.rules) matches it.
        """
        self._check_params()
        sentences = as_sentences(X)
        tag_lists = [repair_bio(tags) for tags in as_sentences(y, "y")]
        if len(sentences) != len(tag_lists):
            raise ValueError(f"X has {len(sentences)} sentences but y has {len(tag_lists)}")
        weights = _sentence_weights(sample_weight, len(sentences))
        for name, per_sentence in (
            ("unannotated_types", unannotated_types),
            ("partial_types", partial_types),
        ):
            if per_sentence is not None and len(per_sentence) != len(sentences):
                raise ValueError(
                    f"{name} has {len(per_sentence)} entries but X has {len(sentences)} sentences"
                )
        if (weights == 0).any():  # a sentence weighted 0 takes no part, not even in the vocabularies
            keep = np.flatnonzero(weights)
            sentences, tag_lists, weights = (
                [sentences[i] for i in keep],
                [tag_lists[i] for i in keep],
                weights[keep],
            )
            if unannotated_types is not None:
                unannotated_types = [unannotated_types[i] for i in keep]
            if partial_types is not None:
                partial_types = [partial_types[i] for i in keep]
        for index, (tokens, tags) in enumerate(zip(sentences, tag_lists, strict=True)):
            if len(tokens) != len(tags):
                raise ValueError(f"sentence {index}: {len(tokens)} tokens but {len(tags)} tags")
        if not any(sentences):
            raise ValueError("X holds no tokens")
        labels = {tag for tags in tag_lists for tag in tags}
        for label in labels:
            if label != "O" and (not label.startswith(("B-", "I-")) or len(label) < 3):
                raise ValueError(f"tag {label!r} is not BIO: use O, B-TYPE or I-TYPE")
        # Every type gets both its B- and I- tag, so any span shape can be decoded whatever the data showed.
        types = sorted({label[2:] for label in labels if label != "O"})
        self.classes_ = np.array(["O", *[f"{p}-{t}" for t in types for p in ("B", "I")]], dtype=object)
        self.allowed_start_, self.allowed_transitions_ = allowed_transitions(list(self.classes_))
        self.lowercase_vocab_, self.titlecase_vocab_ = vocabularies(sentences)
        self.cluster_words_, self.cluster_ids_ = self._read_clusters()
        self.gazetteer_ = gather(sentences, tag_lists) if self.gazetteer else {}

        class_index = {tag: i for i, tag in enumerate(self.classes_)}
        batch = Batch(sentences)
        gold = np.array([class_index[tag] for tags in tag_lists for tag in tags], dtype=np.int64)
        hidden = None
        if self.word_dropout > 0:
            seed = check_random_state(self.random_state).randint(2**31 - 1)
            hidden = np.random.RandomState(seed).random_sample(len(gold)) < self.word_dropout
        regions = fold_regions(sentences, tag_lists, _GAZETTEER_FOLDS) if self.gazetteer else None
        allowed = self._allowed_gold(gold, batch, unannotated_types, partial_types)
        self._train(self._features(batch, hidden, regions), batch, gold, weights[batch.sentence], allowed)
        return self

    def _allowed_gold(
        self,
        gold: np.ndarray,
        batch: Batch,
        unannotated_types: Sequence[Sequence[str]] | None,
        partial_types: Sequence[Sequence[str]] | None = None,
    ) -> np.ndarray | None:
        """(tokens, tags) booleans of the tags each token may have under its annotation, or None when every
        sentence is fully annotated (one tag per token)."""
        open_anywhere = unannotated_types is not None and any(unannotated_types)
        open_on_rules = partial_types is not None and any(partial_types)
        if not open_anywhere and not open_on_rules:
            return None
        n_tags = len(self.classes_)
        allowed = np.eye(n_tags, dtype=bool)[gold]
        columns = {t: [i for i, tag in enumerate(self.classes_) if tag[2:] == t] for t in self._types()}
        matched = _rule_types(batch) if open_on_rules else None
        # An amount or a rate has a number in it or matches a rule: see `bound_unannotated`.
        plausible = (
            _rule_plausible(batch, matched)
            if self.bound_unannotated and set(_RULE_BOUND) & set(columns)
            else {}
        )
        for index in range(len(batch.sentences)):
            start, length = batch.starts[index], batch.lengths[index]
            tokens = start + np.flatnonzero(gold[start : start + length] == 0)  # O is column 0
            anywhere = unannotated_types[index] if open_anywhere else ()
            for entity_type in set(anywhere or ()) & set(columns):
                where = tokens[plausible[entity_type][tokens]] if entity_type in plausible else tokens
                allowed[np.ix_(where, columns[entity_type])] = True
            on_rules = partial_types[index] if open_on_rules else ()
            for entity_type in set(on_rules or ()) & set(columns):
                where = tokens[matched[tokens] == entity_type]
                allowed[np.ix_(where, columns[entity_type])] = True
        return allowed

    def _types(self) -> list[str]:
        return sorted({tag[2:] for tag in self.classes_ if tag != "O"})

    def predict(self, X: Sequence[Sequence[str]]) -> list[list[str]]:
        """The best valid BIO tag sequence for each sentence."""
        batch, tags, _ = self._decode(as_sentences(X), with_scores=False)
        labels = self.classes_[tags]
        return [list(labels[start : start + n]) for start, n in zip(batch.starts, batch.lengths, strict=True)]

    def predict_scores(self, X: Sequence[Sequence[str]]) -> list[list[float]]:
        """Per-token confidence in (0, 1] of the predicted tag: its CRF marginal probability."""
        batch, _, confidence = self._decode(as_sentences(X), with_scores=True)
        return [
            confidence[start : start + n].tolist()
            for start, n in zip(batch.starts, batch.lengths, strict=True)
        ]

    def predict_marginals(self, X: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per sentence, the (tokens, tags) marginal probability of every tag of `classes_` at every token
        (forward-backward under the BIO constraints): what confident learning on entity spans reads."""
        batch, _, marginals = self._decode(as_sentences(X), with_scores=True, full=True)
        return [marginals[start : start + n] for start, n in zip(batch.starts, batch.lengths, strict=True)]

    def score(self, X: Sequence[Sequence[str]], y: Sequence[Sequence[str]]) -> float:
        """Span-level micro F1 (exact start, end and type; conlleval semantics)."""
        from toolkit.models.metrics import span_metrics

        return span_metrics([list(tags) for tags in y], self.predict(X))["span_f1"]

    # ---- parameters --------------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.feature_set not in _FEATURE_SETS:
            raise ValueError(f"feature_set must be one of {_FEATURE_SETS}, got {self.feature_set!r}")
        for name, minimum in (("window", 0), ("n_features", 2), ("max_iter", 1), ("batch_size", 1)):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if not isinstance(self.alpha, int | float) or self.alpha < 0:
            raise ValueError(f"alpha must be a number >= 0, got {self.alpha!r}")
        if not isinstance(self.learning_rate, int | float) or self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be a number > 0, got {self.learning_rate!r}")
        if not isinstance(self.word_dropout, int | float) or not 0 <= self.word_dropout < 1:
            raise ValueError(f"word_dropout must be a number in [0, 1), got {self.word_dropout!r}")
        if self.clusters is not None and not isinstance(self.clusters, str | PurePath):
            raise ValueError(f"clusters must be the path of a cluster file or None, got {self.clusters!r}")

    # ---- training ----------------------------------------------------------------------------------------

    def _train(
        self,
        features: np.ndarray,
        batch: Batch,
        gold: np.ndarray,
        token_weight: np.ndarray,
        allowed_gold: np.ndarray | None,
    ) -> None:
        """AdaGrad on the weighted CRF negative log-likelihood + L2, over fixed mini-batches of equal-length
        sentences. A partly labelled sentence's likelihood is that of all the paths its labels allow."""
        rng = check_random_state(self.random_state)
        n_tags = len(self.classes_)
        # Only hashed columns that occur in training get a weight row: a fraction of n_features.
        used, compact = np.unique(features, return_inverse=True)
        compact = compact.reshape(features.shape)
        n_tokens, n_active = compact.shape
        weights = np.zeros((len(used), n_tags))
        squares = np.zeros_like(weights)
        # Transition, start and end weights in one vector: they share the AdaGrad step.
        chain = np.zeros(n_tags * n_tags + 2 * n_tags)
        chain_squares = np.zeros_like(chain)
        allowed, allowed_start = self.allowed_transitions_, self.allowed_start_
        onehot = np.eye(n_tags)
        # Each mini-batch keeps its own small sparse matrix over the columns it uses; built once, reused per pass.
        steps = []
        for index in batch.by_length(self.batch_size, rng):
            columns, local = np.unique(compact[index].ravel(), return_inverse=True)
            matrix = sparse.csr_matrix(
                (np.ones(local.size), local, np.arange(0, local.size + 1, n_active)),
                shape=(index.size, len(columns)),
            )
            tags = gold[index]
            token_w = token_weight[index]
            sentence_w = token_w[:, 0]
            mask = None
            if allowed_gold is not None and allowed_gold[index].sum(axis=2).max() > 1:
                mask = allowed_gold[index]  # the observed counts depend on the weights: computed per step
                truth, chain_counts = None, None
            else:
                truth = onehot[tags.ravel()] * token_w.reshape(-1, 1)
                pair_counts = np.zeros((n_tags, n_tags))
                np.add.at(pair_counts, (tags[:, :-1].ravel(), tags[:, 1:].ravel()), token_w[:, 1:].ravel())
                chain_counts = np.concatenate(
                    [
                        pair_counts.ravel(),
                        np.bincount(tags[:, 0], weights=sentence_w, minlength=n_tags),
                        np.bincount(tags[:, -1], weights=sentence_w, minlength=n_tags),
                    ]
                )
            steps.append((index.shape, columns, matrix, truth, chain_counts, mask, sentence_w))
        for _ in range(self.max_iter):
            for step in rng.permutation(len(steps)):
                shape, columns, matrix, truth, chain_counts, mask, sentence_w = steps[step]
                local_weights = weights[columns]
                emissions = np.asarray(matrix @ local_weights).reshape(*shape, n_tags)
                trans, start, end = split_chain(chain, n_tags)
                potentials = np.exp(emissions - emissions.max(axis=2, keepdims=True))
                exp_chain = (np.exp(trans) * allowed, np.exp(start) * allowed_start, np.exp(end))
                marginals, pairs = forward_backward(potentials, *exp_chain, weights=sentence_w)
                marginals = marginals * sentence_w[:, None, None]
                if mask is not None:
                    # Observed counts of a partly labelled batch: the expectation over the paths its labels allow.
                    observed, observed_pairs = forward_backward(
                        potentials * mask, *exp_chain, weights=sentence_w
                    )
                    observed = observed * sentence_w[:, None, None]
                    truth = observed.reshape(-1, n_tags)
                    chain_counts = np.concatenate(
                        [observed_pairs.ravel(), observed[:, 0].sum(axis=0), observed[:, -1].sum(axis=0)]
                    )
                # Lazy L2 (see `alpha`): the step's share of the pass's penalty, on the rows this step touches only.
                share = self.alpha * truth.shape[0] / n_tokens
                grad = np.asarray(matrix.T @ (marginals.reshape(-1, n_tags) - truth)) + share * local_weights
                local_squares = squares[columns] + grad * grad
                squares[columns] = local_squares
                weights[columns] = local_weights - self.learning_rate * grad / (np.sqrt(local_squares) + 1e-8)
                expected = np.concatenate(
                    [pairs.ravel(), marginals[:, 0].sum(axis=0), marginals[:, -1].sum(axis=0)]
                )
                chain_grad = expected - chain_counts + share * chain
                chain_squares += chain_grad * chain_grad
                chain -= self.learning_rate * chain_grad / (np.sqrt(chain_squares) + 1e-8)
        # Stored compactly: a row index per hashed column (unused columns point at a final zero row).
        self.feature_rows_ = np.full(self.n_features, len(used), dtype=np.int32)
        self.feature_rows_[used] = np.arange(len(used), dtype=np.int32)
        self.coef_ = np.vstack([weights, np.zeros((1, n_tags))]).astype(np.float32)
        self.transition_, self.start_, self.end_ = (part.copy() for part in split_chain(chain, n_tags))

    # ---- decoding ----------------------------------------------------------------------------------------

    def _decode(
        self, sentences: list[list[str]], with_scores: bool, full: bool = False
    ) -> tuple[Batch, np.ndarray, np.ndarray]:
        """(batch, best tags, scores): the predicted tag's marginal per token, or with `full` every tag's."""
        check_is_fitted(self, "coef_")
        batch = Batch(sentences)
        rows = self.feature_rows_[self._features(batch)]
        tags = np.zeros(len(batch.type_ids), dtype=np.int64)
        confidence = np.ones(len(batch.type_ids))
        every = np.zeros((len(batch.type_ids), len(self.classes_))) if full else None
        trans = np.where(self.allowed_transitions_, self.transition_, -np.inf)
        start = np.where(self.allowed_start_, self.start_, -np.inf)
        exp_trans, exp_start, exp_end = np.exp(trans), np.exp(start), np.exp(self.end_)
        for index in batch.by_length(_DECODE_CHUNK):
            emissions = self.coef_[rows[index]].sum(axis=2, dtype=np.float64)
            paths = viterbi(emissions, trans, start, self.end_)
            tags[index] = paths
            if with_scores:
                potentials = np.exp(emissions - emissions.max(axis=2, keepdims=True))
                marginals, _ = forward_backward(potentials, exp_trans, exp_start, exp_end)
                chosen = np.take_along_axis(marginals, paths[:, :, None], axis=2)[:, :, 0]
                confidence[index] = np.clip(chosen, np.finfo(float).tiny, 1.0)
                if every is not None:
                    every[index] = marginals
        return batch, tags, confidence if every is None else every


# What `bound_unannotated` binds: a mixed-in corpus's O token may be one of these only where a digit or the type's
# rule (toolkit.models.rules) says it could be.
_RULE_BOUND = ("MONEY", "PERCENT")


def _rule_types(batch: Batch) -> np.ndarray:
    """Per token, the type of the rule match it lies in ("MONEY" for "millions" of "10 millions de dollars",
    "DATE" for "jeudi"), or ""."""
    from toolkit.models.features import rule_regions

    return np.array([region[2:] for region in rule_regions(batch.sentences)], dtype=object)


def _rule_plausible(batch: Batch, matched: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per rule-bound type, per token: it holds a digit or lies in that type's rule match."""
    found = _rule_types(batch) if matched is None else matched
    tokens = (token for sentence in batch.sentences for token in sentence)
    digit = np.fromiter((any(c.isdigit() for c in token) for token in tokens), dtype=bool, count=len(found))
    return {entity_type: digit | (found == entity_type) for entity_type in _RULE_BOUND}


def _sentence_weights(sample_weight: Sequence[float] | np.ndarray | None, n: int) -> np.ndarray:
    """One finite, non-negative weight per sentence (all ones without `sample_weight`)."""
    if sample_weight is None:
        return np.ones(n)
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != (n,):
        raise ValueError(f"sample_weight must hold one weight per sentence ({n}), got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or (weights < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if not weights.any():
        raise ValueError("sample_weight is zero for every sentence")
    return weights
