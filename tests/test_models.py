"""EntityTagger and ClaimClassifier: estimator conventions, every parameter matters, skops and MLflow round trips."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from toolkit.models import SKOPS_TRUSTED_TYPES
from toolkit.models.claims import ClaimClassifier, cue_pattern, load_cues
from toolkit.models.metrics import span_metrics
from toolkit.models.structure import (
    CANDIDATE_PATTERNS,
    FIRST_PATTERNS,
    SECOND_PATTERNS,
    STRUCTURE_PATTERNS,
    SUBJECTIVITY,
    UNCERTAINTY,
)
from toolkit.models.tagger import EntityTagger
from toolkit.text.bio import repair_bio


def span_f1(y_true: list, y_pred: list) -> float:
    """The micro span F1 `EntityTagger.score` reports (toolkit.models.metrics, conlleval semantics)."""
    return span_metrics(y_true, y_pred)["span_f1"]


# ---- tiny synthetic data -------------------------------------------------------------------------------------

_PEOPLE = [["Anna", "Berg"], ["Tom", "Ruiz"], ["Lea", "Marchand"], ["Kofi", "Mensah"], ["Ines"], ["Paulo"]]
_ORGS = [["Acme", "Corp"], ["Nordbank"], ["Vela", "Group"], ["Helix", "Labs"], ["Banque", "Orsay"]]
_PLACES = [["Paris"], ["Oslo"], ["New", "York"], ["Lagos"], ["Porto", "Alegre"]]
_TEMPLATES = [
    "{PER} joined {ORG} in {LOC} .",
    "{ORG} said {PER} will visit {LOC} next week .",
    "shares of {ORG} rose in {LOC} on Monday",
    "{PER} , chief executive of {ORG} , declined to comment .",
    "the board met in {LOC} and {PER} resigned",
]


def _entity_sentences(n: int, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences built from templates, tagged in BIO."""
    rng = random.Random(seed)
    pools = {"PER": _PEOPLE, "ORG": _ORGS, "LOC": _PLACES}
    sentences, tags = [], []
    for _ in range(n):
        tokens: list[str] = []
        labels: list[str] = []
        for piece in rng.choice(_TEMPLATES).split():
            if piece.startswith("{"):
                kind = piece[1:-1]
                name = rng.choice(pools[kind])
                tokens.extend(name)
                labels.extend([f"B-{kind}"] + [f"I-{kind}"] * (len(name) - 1))
            else:
                tokens.append(piece)
                labels.append("O")
        sentences.append(tokens)
        tags.append(labels)
    return sentences, tags


X_TOK, Y_TOK = _entity_sentences(60)
X_TOK_TEST, Y_TOK_TEST = _entity_sentences(20, seed=1)
FAST = {"n_features": 2**14, "max_iter": 3, "random_state": 0}


def _valid_bio(tags: list[str]) -> bool:
    return list(tags) == repair_bio(tags)


# ---- EntityTagger ---------------------------------------------------------------------------------------------


def test_tagger_fit_returns_self_and_learns_the_templates():
    tagger = EntityTagger(**FAST)
    assert tagger.fit(X_TOK, Y_TOK) is tagger
    predictions = tagger.predict(X_TOK_TEST)
    assert [len(p) for p in predictions] == [len(s) for s in X_TOK_TEST]
    assert tagger.score(X_TOK_TEST, Y_TOK_TEST) > 0.8
    assert set(tagger.classes_) == {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"}


def test_tagger_not_fitted_raises():
    with pytest.raises(NotFittedError):
        EntityTagger().predict([["Paris"]])
    with pytest.raises(NotFittedError):
        EntityTagger().predict_scores([["Paris"]])


def test_tagger_clone_and_params_round_trip():
    tagger = EntityTagger(feature_set="basic", window=1, alpha=0.5, random_state=3)
    params = tagger.get_params()
    assert params == clone(tagger).get_params()
    other = EntityTagger().set_params(**params)
    assert other.get_params() == params
    fitted = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    assert not hasattr(clone(fitted), "coef_")


def test_tagger_is_deterministic_with_random_state():
    first = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    second = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    assert first.predict_scores(X_TOK_TEST) == second.predict_scores(X_TOK_TEST)


def test_tagger_never_returns_invalid_bio_on_random_input():
    rng = random.Random(7)
    alphabet = ["Paris", "Acme", "Corp", "the", "É", "1,5", "...", "NEW", "x", "Tom", "-", "’", "🙂", "said"]
    sentences = [[rng.choice(alphabet) for _ in range(rng.randint(0, 30))] for _ in range(200)]
    # Weights trained on noise push towards I- tags everywhere; the decoder must still keep BIO valid.
    noisy_tags = [
        [rng.choice(["O", "B-PER", "I-PER", "I-ORG", "B-LOC", "I-LOC"]) for _ in s] for s in sentences
    ]
    for tagger in (EntityTagger(**FAST).fit(X_TOK, Y_TOK), EntityTagger(**FAST).fit(sentences, noisy_tags)):
        predictions = tagger.predict(sentences)
        assert [len(p) for p in predictions] == [len(s) for s in sentences]
        assert all(_valid_bio(tags) for tags in predictions)
        scores = tagger.predict_scores(sentences)
        assert all(0 < score <= 1 for row in scores for score in row)
        assert [len(s) for s in scores] == [len(s) for s in sentences]
        # The full marginals: a distribution over classes_ per token, whose value at the predicted tag is its score.
        marginals = tagger.predict_marginals(sentences)
        assert [m.shape for m in marginals] == [(len(s), len(tagger.classes_)) for s in sentences]
        np.testing.assert_allclose(np.vstack(marginals).sum(axis=1), 1.0)
        column = {tag: i for i, tag in enumerate(tagger.classes_)}
        for row, tags, score in zip(marginals, predictions, scores, strict=True):
            np.testing.assert_allclose([row[i, column[t]] for i, t in enumerate(tags)], score)


def test_tagger_repairs_iob1_training_tags():
    iob1 = [[tag.replace("B-", "I-") for tag in tags] for tags in Y_TOK]
    tagger = EntityTagger(**FAST).fit(X_TOK, iob1)
    assert tagger.score(X_TOK_TEST, Y_TOK_TEST) > 0.8


def test_tagger_scores_are_higher_on_familiar_tokens():
    tagger = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    familiar = tagger.predict_scores([["Anna", "Berg", "joined", "Acme", "Corp", "in", "Paris", "."]])[0]
    strange = tagger.predict_scores([["Zqx", "Vvv", "wobbles", "Qrr", "Plink", "in", "Xoo", "."]])[0]
    assert np.mean(familiar) > np.mean(strange)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"feature_set": "huge"}, "feature_set"),
        ({"window": -1}, "window"),
        ({"max_iter": 0}, "max_iter"),
        ({"batch_size": 0}, "batch_size"),
        ({"alpha": -1.0}, "alpha"),
        ({"learning_rate": 0}, "learning_rate"),
    ],
)
def test_tagger_rejects_bad_params_in_fit(bad, message):
    tagger = EntityTagger(**bad)  # __init__ only stores
    with pytest.raises(ValueError, match=message):
        tagger.fit(X_TOK, Y_TOK)


def test_tagger_rejects_bad_data():
    with pytest.raises(ValueError, match="tokens but"):
        EntityTagger().fit([["a", "b"]], [["O"]])
    with pytest.raises(ValueError, match="not BIO"):
        EntityTagger().fit([["a"]], [["PER"]])
    with pytest.raises(ValueError, match="sentences"):
        EntityTagger().fit([["a"]], [["O"], ["O"]])
    with pytest.raises(TypeError):
        EntityTagger().fit("a sentence", [["O"]])


@pytest.mark.parametrize(
    "param, value",
    [
        ("feature_set", "basic"),
        ("window", 0),
        ("n_features", 2**6),
        ("alpha", 20.0),
        ("learning_rate", 0.5),
        ("max_iter", 1),
        ("batch_size", 1),
        ("random_state", 1),
    ],
)
def test_every_tagger_param_changes_the_model(param, value):
    base = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    changed = EntityTagger(**{**FAST, param: value}).fit(X_TOK, Y_TOK)
    assert base.predict_scores(X_TOK_TEST) != changed.predict_scores(X_TOK_TEST)


def test_tagger_grid_search_and_cross_validation():
    search = GridSearchCV(EntityTagger(**FAST), {"window": [0, 1], "feature_set": ["basic", "rich"]}, cv=2)
    search.fit(X_TOK, Y_TOK)
    assert set(search.best_params_) == {"window", "feature_set"}
    assert 0 <= search.best_score_ <= 1
    scores = cross_val_score(EntityTagger(**FAST), X_TOK, Y_TOK, cv=2)
    assert len(scores) == 2


def test_span_f1_follows_conlleval():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    assert span_f1(gold, gold) == 1.0
    assert span_f1(gold, [["B-PER", "O", "O", "B-LOC"]]) == pytest.approx(0.5)  # boundary wrong: no credit
    assert span_f1(gold, [["I-PER", "I-PER", "O", "I-LOC"]]) == 1.0  # IOB1 spans are the same spans
    assert span_f1([["O"]], [["O"]]) == 0.0


def test_tagger_handles_empty_sentences():
    tagger = EntityTagger(**FAST).fit([*X_TOK, []], [*Y_TOK, []])
    assert tagger.predict([[], ["Paris"], []])[0] == []
    assert tagger.predict_scores([[]]) == [[]]


# ---- ClaimClassifier ------------------------------------------------------------------------------------------

_CLAIMS = {
    "SPECULATIVE": [
        "The company may sell its stake in the bank",
        "Acme could be in talks to buy Nordbank, according to rumours",
        "Le groupe pourrait céder sa filiale",
        "Des discussions sont au stade initial, selon une rumeur",
        "Vela is reportedly exploring a sale of the unit",
        "Helix might list its shares next year if markets allow",
    ],
    "REPORTED": [
        "The minister said the deal was signed on Monday",
        "According to the bank, profits rose by 5%",
        "Selon le directeur, l'usine a fermé mardi",
        "Le PDG a déclaré que la vente était conclue",
        "A spokesman told reporters the plant had closed",
        "The firm announced that it had hired 200 staff, the statement said",
    ],
    "FORECAST": [
        "Analysts expect revenue to rise 10% next year",
        "The bank forecasts growth of 2% in 2027",
        "La banque prévoit une hausse des ventes l'an prochain",
        "Le groupe table sur une croissance de 3% d'ici 2026",
        "Profits are projected to reach $2bn by the end of the year",
        "Les ventes devraient progresser au prochain trimestre",
    ],
}
X_TXT = np.array([text for texts in _CLAIMS.values() for text in texts], dtype=object)
Y_TXT = np.array([label for label, texts in _CLAIMS.items() for _ in texts])

# scikit-learn's API checks (legacy=False: not the numeric checks written for array estimators) run on both
# estimators. Seven of them fit on a generated numeric array: our estimators take text (a 1-D sequence of sentences,
# or token lists with BIO tags), so each of these is expected to fail for that reason alone, and their substance
# (fit returns self, params untouched, idempotent fits, read-only input) is tested on text in this file.
_NUMERIC_X = {
    "check_fit_score_takes_y": "fits on numeric X",
    "check_estimators_overwrite_params": "fits on numeric X; params untouched is tested on text below",
    "check_dont_overwrite_parameters": "fits on numeric X; no public attribute added at fit is tested on text",
    "check_estimators_fit_returns_self": "fits on numeric X; fit returns self is tested on text below",
    "check_readonly_memmap_input": "fits on a numeric memmap; text input has no memmap",
    "check_n_features_in_after_fitting": "n_features_in_ counts numeric columns; text has none",
    "check_positive_only_tag_during_fit": "feeds negative numbers as X",
}


@parametrize_with_checks(
    [ClaimClassifier(), EntityTagger()],
    legacy=False,
    expected_failed_checks=lambda estimator: {
        name: f"{reason}: {type(estimator).__name__} takes text" for name, reason in _NUMERIC_X.items()
    },
)
def test_estimators_pass_the_scikit_learn_api_checks(estimator, check):
    check(estimator)


def test_claim_classifier_fits_text_and_predicts_probabilities():
    model = ClaimClassifier(random_state=0)
    assert model.fit(list(X_TXT), list(Y_TXT)) is model
    assert list(model.classes_) == ["FORECAST", "REPORTED", "SPECULATIVE"]
    assert list(model.predict(X_TXT)) == list(Y_TXT)
    proba = model.predict_proba(np.array(["Le groupe pourrait vendre", "She said it closed"], dtype=object))
    assert proba.shape == (2, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.predict(np.array(["Nordbank may be in talks to merge"]))[0] == "SPECULATIVE"


def test_claim_classifier_not_fitted_and_bad_input():
    with pytest.raises(NotFittedError):
        ClaimClassifier().predict(["text"])
    with pytest.raises(ValueError, match="single string"):
        ClaimClassifier().fit("one sentence", ["A"])
    with pytest.raises(ValueError, match="two classes"):
        ClaimClassifier().fit(["a b", "c d"], ["A", "A"])
    with pytest.raises(ValueError, match="classifier"):
        ClaimClassifier(classifier="forest").fit(X_TXT, Y_TXT)
    with pytest.raises(ValueError, match="2 sentences of each class"):
        ClaimClassifier(classifier="linear_svm").fit(["a b", "c d", "e f"], ["A", "B", "B"])


def test_claim_classifier_estimator_habits_on_text():
    model = ClaimClassifier(random_state=0)
    params = model.get_params()
    model.fit(X_TXT, Y_TXT)
    assert model.get_params() == params  # fit leaves the parameters alone
    first = model.predict_proba(X_TXT)
    state = dict(model.__dict__)
    model.predict(X_TXT)
    assert model.__dict__.keys() == state.keys()  # predicting adds nothing
    np.testing.assert_allclose(clone(model).fit(X_TXT, Y_TXT).predict_proba(X_TXT), first)  # idempotent
    order = np.random.default_rng(0).permutation(len(X_TXT))
    np.testing.assert_allclose(model.predict_proba(X_TXT[order]), first[order])  # sample order invariance
    np.testing.assert_allclose(model.predict_proba(X_TXT[:4]), first[:4])  # subset invariance
    search = GridSearchCV(ClaimClassifier(), {"C": [1.0, 10.0]}, cv=2).fit(X_TXT, Y_TXT)
    assert search.best_params_["C"] in (1.0, 10.0)


@pytest.mark.parametrize(
    "param, value",
    [
        ("word_ngram_range", (1, 1)),
        ("char_ngram_range", (3, 3)),
        ("use_char", False),
        ("use_cues", False),
        ("classifier", "linear_svm"),
        ("C", 0.1),
        ("class_weight", None),
        ("min_df", 1),
    ],
)
def test_every_claim_param_changes_the_model(param, value):
    X = np.concatenate([X_TXT, ["The bank said it may expect a rise"]])
    y = np.concatenate([Y_TXT, ["REPORTED"]])  # classes of unequal size, so class_weight matters
    base = ClaimClassifier(random_state=0).fit(X, y).predict_proba(X_TXT)
    changed = ClaimClassifier(random_state=0, **{param: value}).fit(X, y).predict_proba(X_TXT)
    assert not np.allclose(base, changed)


def test_random_state_seeds_the_linear_svm():
    X = np.concatenate([X_TXT] * 2)
    y = np.concatenate([Y_TXT] * 2)
    probas = [
        ClaimClassifier(classifier="linear_svm", random_state=seed).fit(X, y).predict_proba(X_TXT)
        for seed in (0, 0, 1)
    ]
    np.testing.assert_allclose(probas[0], probas[1])
    assert not np.allclose(probas[0], probas[2])


def test_cues_file_is_read_at_fit_and_kept_in_the_model(tmp_path: Path):
    lexicon = tmp_path / "cues.toml"
    lexicon.write_text('[rumour]\nen = ["whisper*"]\nfr = ["chuchot*"]\n', encoding="utf-8")
    model = ClaimClassifier(cues=lexicon, random_state=0).fit(X_TXT, Y_TXT)
    lexicon.unlink()  # the fitted model must not need the file any more
    assert model.cue_names_ == ["rumour"]
    assert model.cue_counts(["They whispered; on chuchote", "nothing"]) == {"rumour": [2, 0]}
    default = ClaimClassifier(random_state=0).fit(X_TXT, Y_TXT)
    assert not np.allclose(model.predict_proba(X_TXT), default.predict_proba(X_TXT))
    bad = tmp_path / "bad.toml"
    bad.write_text("[hedge]\nen = [1]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="non-empty strings"):
        ClaimClassifier(cues=bad).fit(X_TXT, Y_TXT)


def test_packaged_cue_lexicon_matches_phrases_and_stems():
    cues = load_cues()
    assert {"hedge", "attribution", "forecast", "opinion"} <= set(cues)
    import re

    hedge = re.compile(cue_pattern(cues["hedge"]))
    assert hedge.search("Les deux groupes sont en   discussions")
    assert hedge.search("Analysts SPECULATE about a bid")
    assert hedge.search("il n’exclut pas une offre")
    assert not hedge.search("Mayor Smith opened the bridge")  # whole words only
    attribution = re.compile(cue_pattern(cues["attribution"]))
    assert attribution.search("d’après le ministre") and attribution.search("according to the bank")


# ---- persistence: skops and MLflow ---------------------------------------------------------------------------


def _fitted_models() -> list[tuple[object, object]]:
    tagger = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    claims = ClaimClassifier(random_state=0).fit(X_TXT, Y_TXT)
    svm_claims = ClaimClassifier(classifier="linear_svm", random_state=0).fit(
        np.concatenate([X_TXT] * 2), np.concatenate([Y_TXT] * 2)
    )
    return [(tagger, X_TOK_TEST), (claims, X_TXT), (svm_claims, X_TXT)]


def test_skops_round_trip_with_the_exported_trusted_types():
    import skops.io

    for model, X in _fitted_models():
        data = skops.io.dumps(model)
        assert set(skops.io.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)
        loaded = skops.io.loads(data, trusted=SKOPS_TRUSTED_TYPES)
        assert np.array_equal(
            np.asarray(loaded.predict(X), dtype=object), np.asarray(model.predict(X), dtype=object)
        )


def test_mlflow_round_trip(tmp_path: Path):
    mlflow = pytest.importorskip("mlflow")
    from mlflow.models import infer_signature

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/m.db")
    experiment = mlflow.create_experiment("models-test", artifact_location=(tmp_path / "art").as_uri())
    tagger, claims = EntityTagger(**FAST).fit(X_TOK, Y_TOK), ClaimClassifier(random_state=0).fit(X_TXT, Y_TXT)
    with mlflow.start_run(experiment_id=experiment):
        tagger_info = mlflow.sklearn.log_model(
            tagger,
            name="tagger",
            serialization_format="skops",
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            pip_requirements=["scikit-learn"],
        )
        texts = np.array(list(X_TXT), dtype=str)
        claims_info = mlflow.sklearn.log_model(
            claims,
            name="claims",
            serialization_format="skops",
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            signature=infer_signature(texts, claims.predict(texts)),
            pip_requirements=["scikit-learn"],
        )
    loaded_tagger = mlflow.sklearn.load_model(tagger_info.model_uri)
    assert loaded_tagger.predict(X_TOK_TEST) == tagger.predict(X_TOK_TEST)
    loaded_claims = mlflow.sklearn.load_model(claims_info.model_uri)
    assert list(loaded_claims.predict(texts)) == list(claims.predict(texts))
    pyfunc = mlflow.pyfunc.load_model(claims_info.model_uri)
    assert list(pyfunc.predict(texts)) == list(claims.predict(texts))


# ---- real corpus (optional) ----------------------------------------------------------------------------------

_CONLL = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003-en"


def _read_conll(path: Path, limit: int) -> tuple[list[list[str]], list[list[str]]]:
    sentences, tags, tokens, labels = [], [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if tokens:
                sentences.append(tokens)
                tags.append(repair_bio(labels))
                tokens, labels = [], []
                if len(sentences) == limit:
                    break
            continue
        parts = line.split()
        tokens.append(parts[0])
        labels.append(parts[-1])
    return sentences, tags


@pytest.mark.corpus
@pytest.mark.skipif(not _CONLL.is_dir(), reason="shared/data/conll2003-en is absent")
def test_tagger_beats_vocabulary_transfer_on_a_conll_slice():
    X_train, y_train = _read_conll(_CONLL / "eng.train", 3000)
    X_dev, y_dev = _read_conll(_CONLL / "eng.testa", 800)
    # Baseline: tag each token with the tag it had most often in training (the CoNLL-2003 "vocabulary transfer").
    seen: dict[str, dict[str, int]] = {}
    for tokens, tags in zip(X_train, y_train, strict=True):
        for token, tag in zip(tokens, tags, strict=True):
            seen.setdefault(token, {}).setdefault(tag, 0)
            seen[token][tag] += 1
    baseline = [[max(seen[t], key=seen[t].get) if t in seen else "O" for t in tokens] for tokens in X_dev]
    tagger = EntityTagger(random_state=0, max_iter=5).fit(X_train, y_train)
    assert tagger.score(X_dev, y_dev) > span_f1(y_dev, baseline) + 0.1


def test_tagger_takes_the_token_dataframe_mlflow_pyfunc_passes():
    import pandas as pd

    X = [["Acme", "hired", "Jane", "Doe"], ["Paris", "rose"]]
    y = [["B-ORG", "O", "B-PER", "I-PER"], ["B-LOC", "O"]]
    model = EntityTagger(max_iter=2, random_state=0).fit(X, y)
    assert model.predict(pd.DataFrame({"tokens": X})) == model.predict(X)


def test_expected_calibration_error_matches_a_hand_computed_value():
    from toolkit.models.metrics import expected_calibration_error

    truth = ["a", "a", "b", "b"]
    # Top-label confidences 0.9 (right), 0.6 (right), 0.7 (wrong: says a), 0.8 (right), each alone in its bin.
    proba = [[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]]
    ece, bins = expected_calibration_error(truth, proba, ["a", "b"])
    assert ece == pytest.approx((0.1 + 0.4 + 0.7 + 0.2) / 4)
    assert [b["count"] for b in bins] == [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
    assert bins[6]["accuracy"] == 0.0 and bins[8]["confidence"] == pytest.approx(0.9)
    perfect, _ = expected_calibration_error(["a", "b"], [[1.0, 0.0], [0.0, 1.0]], ["a", "b"])
    assert perfect == 0.0


# ---- ClaimClassifier: sentence-structure features (use_structure) --------------------------------------------


def test_use_structure_changes_the_model_and_adds_named_features():
    X = np.concatenate([X_TXT, ["The bank said it may expect a rise"]])
    y = np.concatenate([Y_TXT, ["REPORTED"]])
    base = ClaimClassifier(random_state=0).fit(X, y)
    structured = ClaimClassifier(random_state=0, use_structure=True).fit(X, y)
    assert not np.allclose(base.predict_proba(X_TXT), structured.predict_proba(X_TXT))
    assert base.structure_names_ == [] and "speech_that" in structured.structure_names_
    # Without cues the structure block is the only change: its width is the number of named features.
    alone = ClaimClassifier(random_state=0, use_cues=False, use_structure=True).fit(X, y)
    plain = ClaimClassifier(random_state=0, use_cues=False).fit(X, y)
    width = alone._transform(X_TXT).shape[1] - plain._transform(X_TXT).shape[1]
    assert width == len(alone.structure_names_)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Le PDG a déclaré que la vente était conclue.", {"speech_that", "speech_verb"}),
        ("The minister said that the deal was signed.", {"speech_that", "speech_verb"}),
        ("« Nous gagnerons » , a-t-il déclaré.", {"quote", "quote_then_attribution", "speech_inversion"}),
        ('"We will win," said Smith.', {"quote", "quote_then_attribution", "future"}),
        ("Selon le ministère, le chômage a reculé.", {"according_to", "past"}),
        ("According to the bank, profits rose.", {"according_to"}),
        ("Le fonds serait en discussions, aurait indiqué un proche.", {"conditional", "rumour_conditional"}),
        ("The deal would close in March.", {"conditional"}),
        ("Les ventes progresseront l'an prochain.", {"future"}),
        ("Le groupe va vendre sa filiale.", {"future"}),
        ("Sales will rise next year.", {"future"}),
        ("Le groupe pourrait céder sa filiale.", {"modal_possibility", "conditional"}),
        ("The stock may double.", {"modal_possibility"}),
        ("La banque doit publier ses comptes.", {"modal_necessity"}),
        ("The board should resign.", {"modal_necessity"}),
        ("Le groupe n'a pas souhaité commenter.", {"negation"}),
        ("The company did not comment.", {"negation"}),
        ("Si l'Autorité donne son feu vert, l'opération sera finalisée.", {"condition", "future"}),
        ("Jusqu'où ira la hausse ?", {"question", "question_end"}),
        ("1er janvier 2016, 14h30 .", {"dateline", "dateline_only"}),
        ("April 5, 2006 Apple has released an application.", {"dateline", "past"}),
        ("–", {"punctuation_only"}),
        ("Castelmar prévoit de céder sa division logistique.", {"intent_infinitive"}),
        ("Tidewell plans to raise $2 billion.", {"intent_infinitive"}),
        ("L'institut prévoit que l'inflation reviendra à 1,8 %.", {"prediction_verb"}),
        ("Analysts expect the bank to cut rates.", {"prediction_verb"}),
        ("Les discussions peuvent ne pas aboutir.", {"negated_modal"}),
        ("The talks may not lead to a deal.", {"negated_modal"}),
        ("Selon des sources proches du dossier, le fonds entrerait au capital.", {"unnamed_source"}),
        ("Quillon is in talks, people familiar with the matter said.", {"unnamed_source"}),
    ],
)
def test_structure_patterns_find_the_same_structure_in_both_languages(sentence, expected):
    model = ClaimClassifier(use_structure=True, use_cues=False, min_df=1).fit(X_TXT, Y_TXT)
    found = {name for name, counts in model.structure_counts([sentence]).items() if counts[0]}
    assert expected <= found, found


@pytest.mark.parametrize(
    "sentence",
    [
        "Les ventes ont progressé de 9 %.",
        "Sales rose 5% in the quarter.",
        "Il a retiré son portrait.",
        "Le groupe compte 1 800 salariés.",
        "The spokesman said the plant closed.",
    ],
)
def test_structure_patterns_leave_a_plain_fact_alone(sentence):
    model = ClaimClassifier(use_structure=True, use_cues=False, min_df=1).fit(X_TXT, Y_TXT)
    found = {name for name, counts in model.structure_counts([sentence]).items() if counts[0]}
    assert not found & {
        "speech_that", "conditional", "future", "modal_possibility", "negation", "question",
        "intent_infinitive", "prediction_verb", "negated_modal", "unnamed_source", "subjectivity", "uncertainty",
    }  # fmt: skip


# Sentence-level subjectivity and hedge patterns (written for these tests; none from a real article).
@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        ("evaluative", "Cette décision est absurde et franchement scandaleuse."),
        ("evaluative", "The board's refusal was an unacceptable and disastrous choice."),
        ("evaluative", "Le plan reste remarquablement timide."),
        ("evaluative", "Selling the unit now would be a mistake."),
        ("intensifier", "Les marges restent très faibles."),
        ("intensifier", "The outlook is extremely fragile."),
        ("normative", "Il faut réformer le marché de l'électricité."),
        ("normative", "It is time to rethink the merger rules."),
        ("normative", "Regulators need to act before the vote."),
        ("exclamation", "Quel gâchis !"),
        ("exclamation", "What a waste!"),
        ("rhetorical_question", "Pourquoi la banque a-t-elle attendu si longtemps ?"),
        ("rhetorical_question", "But who will pay for the bailout?"),
        ("rhetorical_question", "Isn't this exactly what the critics feared?"),
        ("second_person", "Si vous détenez l'action, gardez-la."),
        ("second_person", "You would be wise to sell."),
        ("superlative", "C'est la plus grosse perte de son histoire."),
        ("superlative", "It is the biggest loss in its history."),
        ("weasel", "Selon certains, le fonds viserait une sortie rapide."),
        ("weasel", "Le président démissionnerait, paraît-il."),
        ("weasel", "Some analysts say the bank will be sold."),
        ("weasel", "The founder is believed to hold a larger stake."),
        ("epistemic_frame", "Il n'est pas exclu que la banque relève ses taux."),
        ("epistemic_frame", "It is unclear whether the regulator will approve."),
        ("epistemic_frame", "It remains to be seen how investors react."),
        ("early_stage", "Les pourparlers entre les deux groupes se poursuivent."),
        ("early_stage", "Le fonds est entré en discussions exclusives avec le vendeur."),
        ("early_stage", "The two companies have yet to agree on a price."),
        ("early_stage", "Le projet de rachat divise les actionnaires."),
        ("early_stage", "No decision has been taken on the proposed merger."),
        ("main_clause_hedge", "The bank may sell the unit that it bought."),
        ("main_clause_hedge", "Le groupe pourrait céder la filiale qu'il a rachetée."),
    ],
)
def test_candidate_patterns_find_subjectivity_and_hedges_in_both_languages(name, sentence):
    candidates = dict(CANDIDATE_PATTERNS)
    assert re.search(candidates[name], sentence), (name, sentence)
    group = "subjectivity" if name in SUBJECTIVITY else "uncertainty" if name in UNCERTAINTY else None
    if group:  # the model's feature for the group fires wherever one of its patterns does
        assert re.search(dict(STRUCTURE_PATTERNS)[group], sentence), (group, sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Les ventes ont progressé de 9 % au premier semestre.",
        "Sales rose 5% in the quarter, the company said.",
        "Le groupe a racheté le distributeur belge en mars.",
        "The latest figures were published on Tuesday.",
        "Talkative executives rarely stay long.",
        "Le projet a été approuvé par le conseil.",
        "The bank sold the unit that it may buy back.",
        "Jusqu'où ira la hausse ?",
    ],
)
def test_candidate_patterns_leave_a_plain_statement_alone(sentence):
    patterns = CANDIDATE_PATTERNS + STRUCTURE_PATTERNS[SECOND_PATTERNS:]
    found = {name for name, pattern in patterns if re.search(pattern, sentence)}
    assert not found, found


def test_subjectivity_and_uncertainty_are_appended_after_the_earlier_patterns():
    names = [name for name, _ in STRUCTURE_PATTERNS]
    assert names[SECOND_PATTERNS:] == ["subjectivity", "uncertainty"]
    assert names[FIRST_PATTERNS - 1] == "number" and names[SECOND_PATTERNS - 1] == "unnamed_source"
    model = ClaimClassifier(use_structure=True, use_cues=False, min_df=1).fit(X_TXT, Y_TXT)
    counts = model.structure_counts(["C'est absurde ! Some experts say the talks stalled.", "Sales rose."])
    assert counts["subjectivity"] == [2, 0]  # "absurde", "!"
    assert counts["uncertainty"] == [2, 0]  # "some experts say", "talks"


def test_with_structure_a_cue_in_a_relative_clause_counts_apart_from_the_main_clause():
    main = "The bank may sell the unit that it bought."
    sub = "The bank sold the unit that it may buy back."
    model = ClaimClassifier(use_structure=True, random_state=0).fit(X_TXT, Y_TXT)
    assert model.clause_marker_ is not None
    hedge = model.cue_names_.index("hedge")
    k = len(model.cue_names_)
    counts = model._cue_counts([main, sub]).toarray()
    assert counts.shape[1] == 2 * k
    assert counts[0, hedge] > 0 and counts[0, k + hedge] == 0  # "may" in the main clause
    assert counts[1, hedge] == 0 and counts[1, k + hedge] > 0  # "may" after "that"
    plain = ClaimClassifier(random_state=0).fit(X_TXT, Y_TXT)
    assert plain.clause_marker_ is None and plain._cue_counts([main]).shape[1] == k


def test_use_structure_is_constrained_and_persists_with_skops():
    import skops.io
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="use_structure"):
        ClaimClassifier(use_structure="yes")._validate_params()  # as build_estimator checks an experiment
    for classifier, X, y in (
        ("logreg", X_TXT, Y_TXT),
        ("linear_svm", np.concatenate([X_TXT] * 2), np.concatenate([Y_TXT] * 2)),
    ):
        model = ClaimClassifier(use_structure=True, classifier=classifier, random_state=0).fit(X, y)
        data = skops.io.dumps(model)
        assert set(skops.io.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)
        loaded = skops.io.loads(data, trusted=SKOPS_TRUSTED_TYPES)
        np.testing.assert_allclose(loaded.predict_proba(X_TXT), model.predict_proba(X_TXT))
        assert isinstance(loaded.structure_patterns_[0], str)


# ---- EntityTagger: weighted and partly labelled corpora ------------------------------------------------------


def _dated(n: int, seed: int, annotated: bool) -> tuple[list[list[str]], list[list[str]]]:
    """Template sentences with a date after them; `annotated=False` tags the date O (a corpus with no DATE
    layer, like CoNLL-2003)."""
    rng = random.Random(seed)
    dates = [["Monday"], ["March", "3"], ["last", "week"], ["2024"], ["Friday"]]
    sentences, tags = _entity_sentences(n, seed)
    for tokens, labels in zip(sentences, tags, strict=True):
        date = rng.choice(dates)
        tokens += ["on", *date]
        labels += ["O"] + (["B-DATE"] + ["I-DATE"] * (len(date) - 1) if annotated else ["O"] * len(date))
    return sentences, tags


def test_tagger_sentences_weighted_zero_take_no_part():
    extra, extra_tags = _entity_sentences(30, seed=5)
    alone = EntityTagger(**FAST).fit(X_TOK, Y_TOK)
    weighted = EntityTagger(**FAST).fit(
        X_TOK + extra, Y_TOK + extra_tags, sample_weight=[1.0] * len(X_TOK) + [0.0] * len(extra)
    )
    np.testing.assert_array_equal(alone.coef_, weighted.coef_)
    np.testing.assert_array_equal(alone.transition_, weighted.transition_)


def test_tagger_sample_weight_decides_between_conflicting_corpora():
    sentence = ["Vela", "announced", "results"]
    X = [sentence] * 20
    as_org, as_per = [["B-ORG", "O", "O"]] * 10, [["B-PER", "O", "O"]] * 10
    # One full batch and enough passes to reach the optimum, where the heavier corpus wins (3:1). Word dropout
    # off: it hides "Vela" in a random few of the 20 sentences, which can outweigh 3:1 over ten of each.
    converged = {**FAST, "batch_size": 20, "max_iter": 30, "word_dropout": 0.0}
    heavy_org = EntityTagger(**converged).fit(X, as_org + as_per, sample_weight=[3.0] * 10 + [1.0] * 10)
    heavy_per = EntityTagger(**converged).fit(X, as_org + as_per, sample_weight=[1.0] * 10 + [3.0] * 10)
    assert heavy_org.predict([sentence])[0][0] == "B-ORG"
    assert heavy_per.predict([sentence])[0][0] == "B-PER"


def test_tagger_does_not_learn_o_for_a_type_a_corpus_never_annotated():
    labelled, labelled_tags = _dated(8, seed=2, annotated=True)
    unlabelled, unlabelled_tags = _dated(80, seed=3, annotated=False)
    X, y = labelled + unlabelled, labelled_tags + unlabelled_tags
    test, test_tags = _dated(30, seed=4, annotated=True)

    def date_recall(tagger: EntityTagger) -> float:
        found = sum(predicted[-1] in ("B-DATE", "I-DATE") for predicted in tagger.predict(test))
        return found / len(test)

    naive = EntityTagger(**FAST).fit(X, y)
    partial = EntityTagger(**FAST).fit(
        X, y, unannotated_types=[[]] * len(labelled) + [["DATE"]] * len(unlabelled)
    )
    assert date_recall(naive) < 0.5  # 80 sentences saying dates are O outvote 8 saying DATE
    assert date_recall(partial) > 0.9
    assert span_f1(test_tags, partial.predict(test)) > 0.9  # and the other types are still learnt


def test_an_unannotated_money_or_percent_stays_on_numbers_and_rule_matches():
    """A corpus without MONEY or PERCENT layers leaves those types open only where a digit or the type's rule
    says one could be; a word such as "peuvent" stays O (left open, the types drifted onto ordinary words)."""
    from toolkit.models.features import Batch

    sentences = ["Les actions peuvent perdre 5 % et 10 millions de dollars .".split()]
    tags = ["B-ORG O O O B-PERCENT I-PERCENT O B-MONEY I-MONEY I-MONEY I-MONEY O".split()]
    tagger = EntityTagger(**FAST).fit(sentences, tags)
    gold = np.zeros(len(sentences[0]), dtype=np.int64)  # the mixed-in corpus's view: all O
    allowed = tagger._allowed_gold(gold, Batch(sentences), [["MONEY", "PERCENT"]])
    classes = list(tagger.classes_)
    money = [classes.index("B-MONEY"), classes.index("I-MONEY")]
    may_be_money = [token for token, row in zip(sentences[0], allowed, strict=True) if row[money].any()]
    assert may_be_money == ["5", "10", "millions", "de", "dollars"]  # digits, and the MONEY rule's match
    assert not allowed[:, [classes.index("B-ORG"), classes.index("I-ORG")]].any()  # ORG was annotated
    dated = tagger._allowed_gold(gold, Batch(sentences), [["DATE"]])  # no DATE class: nothing opens
    assert (dated.sum(axis=1) == 1).all()
    free = EntityTagger(**FAST, bound_unannotated=False).fit(sentences, tags)
    assert free._allowed_gold(gold, Batch(sentences), [["MONEY"]])[:, money].all()  # every O token


def test_a_partly_annotated_type_opens_only_on_its_rule_matches():
    """WiNER labels absolute dates only: its O on "jeudi" must not teach that "jeudi" is not a date, and its other
    O tokens still say O (opened everywhere, DATE drifted onto ordinary words)."""
    from toolkit.models.features import Batch

    sentences = ["Il est venu jeudi et le 3 mai .".split()]
    tags = ["O O O B-DATE O O B-DATE I-DATE O".split()]
    tagger = EntityTagger(**FAST).fit(sentences, tags)
    classes = list(tagger.classes_)
    date = [classes.index("B-DATE"), classes.index("I-DATE")]
    gold = np.array([classes.index(tag) for tag in "O O O O O O B-DATE I-DATE O".split()])  # WiNER's view
    allowed = tagger._allowed_gold(gold, Batch(sentences), None, [["DATE"]])
    may_be_date = [token for token, row in zip(sentences[0], allowed, strict=True) if row[date].any()]
    assert may_be_date == ["jeudi", "3", "mai"]  # the rule's match; "3 mai" is gold DATE already
    assert allowed[[3], [classes.index("O")]].all()  # O stays possible: a sum over both readings
    assert tagger._allowed_gold(gold, Batch(sentences), None, [[]]) is None  # not partial: one tag per token
    with pytest.raises(ValueError, match="partial_types has 2 entries"):
        EntityTagger(**FAST).fit(sentences, tags, partial_types=[["DATE"], []])


def test_tagger_rejects_bad_sample_weight():
    with pytest.raises(ValueError, match="one weight per sentence"):
        EntityTagger(**FAST).fit(X_TOK, Y_TOK, sample_weight=[1.0])
    with pytest.raises(ValueError, match="non-negative"):
        EntityTagger(**FAST).fit(X_TOK, Y_TOK, sample_weight=[-1.0] * len(X_TOK))
    with pytest.raises(ValueError, match="unannotated_types"):
        EntityTagger(**FAST).fit(X_TOK, Y_TOK, unannotated_types=[["DATE"]])
