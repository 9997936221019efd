"""Sentence-level claim classifier: word and character TF-IDF plus counts of hedge/attribution/forecast/opinion cues.

Why cue counts on top of n-grams: annotated news sentences are few, and a cue category ("pourrait", "may",
"in talks" are all hedges) lets a weight learned from English examples apply to French ones and to cue words the
training set never showed. The lexicon is data (toolkit/data/cues.toml); `fit` reads it and keeps the compiled
regular-expression *strings* in the model, so a saved model needs neither the file nor any custom function
(skops can persist it with only this class trusted).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from toolkit.models.cues import cue_pattern, read_lexicon
from toolkit.models.params import Finite, NgramRange
from toolkit.models.structure import CLAUSE_MARKER, STRUCTURE_PATTERNS, clause_split, structure_names

__all__ = ["ClaimClassifier", "load_cues", "cue_pattern"]

_CLASSIFIERS = ("logreg", "linear_svm")


def load_cues(path: str | Path | None = None) -> dict[str, list[str]]:
    """Cue phrases per category, all languages merged: a cue learned in one language transfers to the other."""
    return {
        category: sorted({phrase for phrases in by_language.values() for phrase in phrases})
        for category, by_language in read_lexicon(path).items()
    }


def _as_texts(X: object) -> list[str]:
    """Sentences as a list of str from a list, a 1-D array (what MLflow's pyfunc passes) or an (n, 1) array."""
    # ValueError rather than TypeError for bad input, as scikit-learn estimators do.
    if isinstance(X, str):
        raise ValueError("X must be a sequence of sentences (str), not a single string")
    if hasattr(X, "to_numpy"):  # pandas Series or one-column DataFrame
        X = X.to_numpy()
    array = np.asarray(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"X must be a 1-D sequence of sentences (str); got an array of shape {array.shape}")
    texts = list(array)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"X[{index}] must be a str (a sentence), got {type(text).__name__}")
    return texts


class ClaimClassifier(ClassifierMixin, BaseEstimator):
    """Classify sentences (str) into claim statuses, or any labels: TF-IDF n-grams + cue counts + a linear model.

    Parameters
    ----------
    word_ngram_range : tuple (min_n, max_n)
        Word n-grams (lowercased).
    char_ngram_range : tuple (min_n, max_n)
        Character n-grams inside word boundaries (`char_wb`); used when `use_char`.
    use_char : bool
        Add character n-grams (robust to inflection, typos and unseen compounds).
    use_cues : bool
        Add log(1 + count) of each cue category of the lexicon.
    cues : str, Path or None
        A cue TOML file; None for the packaged toolkit/data/cues.toml.
    use_structure : bool
        Add sentence-structure features found by patterns (toolkit.models.structure: reported speech, quotes and
        their attribution, conditional, future, modals, negation, condition, question, dateline, fragment, and
        two grouped features: subjectivity and uncertainty), one category for both languages. With `use_cues`
        too, each cue category is counted twice: in the main clause and inside a relative or complement clause
        (after qui/que/which/that/who).
    classifier : "logreg" or "linear_svm"
        Logistic regression, or a linear SVM calibrated with CalibratedClassifierCV (sigmoid, 3 folds) so that
        `predict_proba` is a probability either way.
    C : float
        Inverse regularisation strength of the linear model.
    class_weight : "balanced", dict or None
        Reweight classes inversely to their frequency ("balanced") or by the given {label: weight}.
    min_df : int or float
        Ignore n-grams seen in fewer documents (or a smaller fraction of them).
    random_state : int or None
        Seeds liblinear's coordinate descent for the linear SVM (logistic regression with lbfgs is deterministic).
    """

    # Checked before fitting (toolkit.training.experiments.build_estimator), in scikit-learn's own terms.
    # N-grams longer than 10 words or characters only slow fitting down.
    _parameter_constraints: dict = {
        "word_ngram_range": [NgramRange(1, 10)],
        "char_ngram_range": [NgramRange(1, 10)],
        "use_char": ["boolean"],
        "use_cues": ["boolean"],
        "cues": [str, os.PathLike, None],
        "use_structure": ["boolean"],
        "classifier": [StrOptions(set(_CLASSIFIERS))],
        "C": [Finite(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "min_df": [Finite(Integral, 1, None, closed="left"), Finite(RealNotInt, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        use_char: bool = True,
        use_cues: bool = True,
        cues: str | Path | None = None,
        use_structure: bool = False,
        classifier: str = "logreg",
        C: float = 10.0,
        class_weight: str | dict | None = "balanced",
        min_df: int | float = 2,
        random_state: int | None = None,
    ):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.use_char = use_char
        self.use_cues = use_cues
        self.cues = cues
        self.use_structure = use_structure
        self.classifier = classifier
        self.C = C
        self.class_weight = class_weight
        self.min_df = min_df
        self.random_state = random_state

    def __sklearn_tags__(self):  # noqa: ANN204 - sklearn's Tags type
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def fit(
        self,
        X: Sequence[str] | np.ndarray,
        y: Sequence[str] | np.ndarray,
        sample_weight: Sequence[float] | np.ndarray | None = None,
    ) -> ClaimClassifier:
        """Fit the vectorisers and the linear model on sentences `X` and their labels `y`; `sample_weight`
        scales each sentence's share of the loss (an auxiliary corpus mixed in at weight 0.3 counts 0.3)."""
        if self.classifier not in _CLASSIFIERS:
            raise ValueError(f"classifier must be one of {_CLASSIFIERS}, got {self.classifier!r}")
        if not (self.class_weight in ("balanced", None) or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight must be 'balanced', None or a dict, got {self.class_weight!r}")
        if y is None:
            raise ValueError("ClaimClassifier requires y to be passed, but the target y is None")
        labels = np.asarray(y)
        check_classification_targets(labels)
        texts = _as_texts(X)
        if labels.ndim != 1 or len(labels) != len(texts):
            raise ValueError(
                f"y must be 1-D with one label per sentence ({len(texts)}), got shape {labels.shape}"
            )
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least two classes to fit, got {list(self.classes_)}")
        self.classifier_ = self._make_classifier(labels)

        self.word_vectorizer_ = TfidfVectorizer(
            ngram_range=tuple(self.word_ngram_range), min_df=self.min_df, sublinear_tf=True
        )
        blocks = [self.word_vectorizer_.fit_transform(texts)]
        self.char_vectorizer_ = None
        if self.use_char:
            self.char_vectorizer_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(self.char_ngram_range),
                min_df=self.min_df,
                sublinear_tf=True,
            )
            blocks.append(self.char_vectorizer_.fit_transform(texts))
        self.cue_names_: list[str] = []
        self.cue_patterns_: list[str] = []
        self.structure_names_: list[str] = []
        self.structure_patterns_: list[str] = []
        self.clause_marker_: str | None = None
        if self.use_structure:
            self.structure_names_ = structure_names()
            self.structure_patterns_ = [pattern for _, pattern in STRUCTURE_PATTERNS]
            blocks.append(self._structure(texts))
        if self.use_cues:
            lexicon = load_cues(self.cues)
            self.cue_names_ = sorted(lexicon)
            self.cue_patterns_ = [cue_pattern(lexicon[name]) for name in self.cue_names_]
            self.clause_marker_ = CLAUSE_MARKER if self.use_structure else None
            blocks.append(self._cue_counts(texts))
        features = sparse.hstack(blocks, format="csr")

        self.classifier_.fit(features, labels, sample_weight=sample_weight)
        return self

    def _make_classifier(self, labels: np.ndarray) -> LogisticRegression | CalibratedClassifierCV:
        if self.classifier == "logreg":
            return LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=2000, random_state=self.random_state
            )
        smallest = int(np.unique(labels, return_counts=True)[1].min())
        if smallest < 2:
            raise ValueError("classifier='linear_svm' needs at least 2 sentences of each class to calibrate")
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        return CalibratedClassifierCV(svm, method="sigmoid", cv=min(3, smallest))

    def _cue_counts(self, texts: list[str]) -> sparse.csr_matrix:
        """log(1 + count) per cue category; with a clause marker, main-clause counts then subordinate ones."""
        patterns = [re.compile(pattern) for pattern in self.cue_patterns_]
        if self.clause_marker_ is None:
            counts = [[len(p.findall(text)) for p in patterns] for text in texts]
        else:
            marker = re.compile(self.clause_marker_)
            counts = []
            for text in texts:
                split = clause_split(marker, text)
                main, sub = text[:split], text[split:]
                counts.append(
                    [len(p.findall(main)) for p in patterns] + [len(p.findall(sub)) for p in patterns]
                )
        width = len(patterns) * (1 if self.clause_marker_ is None else 2)
        return sparse.csr_matrix(np.log1p(np.array(counts, dtype=float).reshape(len(texts), width)))

    def _structure(self, texts: list[str]) -> sparse.csr_matrix:
        """log(1 + matches) of each structure pattern, log(1 + words) / 4 and whether it has at most 3 words."""
        patterns = [re.compile(pattern) for pattern in self.structure_patterns_]
        rows = []
        for text in texts:
            words = len(text.split())
            rows.append([len(p.findall(text)) for p in patterns] + [np.log1p(words) / 4, float(words <= 3)])
        matches = np.array(rows, dtype=float).reshape(len(texts), len(patterns) + 2)
        matches[:, : len(patterns)] = np.log1p(matches[:, : len(patterns)])
        return sparse.csr_matrix(matches)

    def _transform(self, X: object) -> sparse.csr_matrix:
        check_is_fitted(self, "classifier_")
        texts = _as_texts(X)
        blocks = [self.word_vectorizer_.transform(texts)]
        if self.char_vectorizer_ is not None:
            blocks.append(self.char_vectorizer_.transform(texts))
        if self.structure_patterns_:
            blocks.append(self._structure(texts))
        if self.cue_patterns_:
            blocks.append(self._cue_counts(texts))
        return sparse.hstack(blocks, format="csr")

    def predict(self, X: Sequence[str] | np.ndarray) -> np.ndarray:
        """The most probable label of each sentence."""
        features = self._transform(X)
        return self.classifier_.predict(features)

    def predict_proba(self, X: Sequence[str] | np.ndarray) -> np.ndarray:
        """Class probabilities (n_sentences, n_classes), columns in the order of `classes_`."""
        features = self._transform(X)
        return self.classifier_.predict_proba(features)

    def structure_counts(self, X: Sequence[str] | np.ndarray) -> dict[str, list[int]]:
        """How often each structure pattern matches every sentence (for explaining a prediction)."""
        check_is_fitted(self, "classifier_")
        texts = _as_texts(X)
        names = self.structure_names_[: len(self.structure_patterns_)]
        return {
            name: [len(re.findall(pattern, text)) for text in texts]
            for name, pattern in zip(names, self.structure_patterns_, strict=True)
        }

    def cue_counts(self, X: Sequence[str] | np.ndarray) -> dict[str, list[int]]:
        """How many cues of each category every sentence holds (for explaining a prediction)."""
        check_is_fitted(self, "classifier_")
        texts = _as_texts(X)
        return {
            name: [len(re.findall(pattern, text)) for text in texts]
            for name, pattern in zip(self.cue_names_, self.cue_patterns_, strict=True)
        }
