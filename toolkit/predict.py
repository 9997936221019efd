"""`toolkit predict`: entity and claim spans, with labels and scores, for articles, from MLflow models.

A model URI names a model `toolkit train` logged (`runs:/ID/model`, `models:/toolkit-claims@champion`, a folder);
it is loaded through skops with the toolkit's own trusted types only (`toolkit.tracking.models`), never pickle.
Each model knows its task from the metadata `toolkit train` logged with it: a claim classifier labels sentences, an entity
tagger labels tokens; both come back as character spans into the article's text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.records import ArticlePrediction, PredictedSpan
from toolkit.schema import NONE_LABEL
from toolkit.tasks import task_spec
from toolkit.text.bio import bio_to_spans
from toolkit.text.sentences import sentence_offsets
from toolkit.text.tokens import tokenize
from toolkit.tracking.registry import LoadedModel, load_model

__all__ = ["PredictResult", "predict_articles", "predict_file", "pre_annotations"]


@dataclass
class PredictResult:
    output: Path
    articles: int
    spans: dict[str, int] = field(default_factory=dict)
    model_version: str = ""


def _claim_spans(loaded: LoadedModel, articles: Sequence[Any]) -> list[list[PredictedSpan]]:
    import numpy as np

    places = [
        (index, start, end)
        for index, article in enumerate(articles)
        for start, end in sentence_offsets(article.text, article.lang, article.sentences)
    ]
    spans: list[list[PredictedSpan]] = [[] for _ in articles]
    if not places:
        return spans
    texts = np.array([articles[index].text[start:end] for index, start, end in places], dtype=str)
    probabilities = loaded.model.predict_proba(texts)
    classes = list(loaded.model.classes_)
    for (index, start, end), row in zip(places, probabilities, strict=True):
        best = int(np.argmax(row))
        if classes[best] != NONE_LABEL:
            text = articles[index].text
            spans[index].append(
                PredictedSpan("claims", classes[best], start, end, text[start:end], float(row[best]))
            )
    return spans


def _entity_spans(loaded: LoadedModel, articles: Sequence[Any]) -> list[list[PredictedSpan]]:
    places, token_lists = [], []
    for index, article in enumerate(articles):
        for start, end in sentence_offsets(article.text, article.lang, article.sentences):
            tokens = [(token, start + s, start + e) for token, s, e in tokenize(article.text[start:end])]
            if tokens:
                places.append((index, tokens))
                token_lists.append([token for token, _, _ in tokens])
    spans: list[list[PredictedSpan]] = [[] for _ in articles]
    if not token_lists:
        return spans
    tag_lists = loaded.model.predict(token_lists)
    score_lists = loaded.model.predict_scores(token_lists)
    for (index, tokens), tags, scores in zip(places, tag_lists, score_lists, strict=True):
        text = articles[index].text
        token_score = {start: score for (_, start, _), score in zip(tokens, scores, strict=True)}
        token_starts = [start for _, start, _ in tokens]
        for span in bio_to_spans(tokens, list(tags)):
            inside = [token_score[start] for start in token_starts if span.start <= start < span.end]
            score = sum(inside) / len(inside)
            spans[index].append(
                PredictedSpan(
                    "entities", span.label, span.start, span.end, text[span.start : span.end], score
                )
            )
    return spans


def predict_articles(model_uris: Sequence[str], articles: Sequence[Any]) -> list[ArticlePrediction]:
    """Spans of every model for every article; `model_version` names the models, `score` averages the spans."""
    if not model_uris:
        raise ToolkitError(
            "no model given: pass a model URI such as runs:/ID/model or models:/toolkit-claims@champion"
        )
    loaded = [load_model(uri) for uri in model_uris]
    per_model = [(_entity_spans if task_spec(m.task).sequence else _claim_spans)(m, articles) for m in loaded]
    version = " + ".join(m.version for m in loaded)
    predictions = []
    for index, article in enumerate(articles):
        spans = sorted(
            (span for spans in per_model for span in spans[index]), key=lambda s: (s.start, s.end, s.group)
        )
        score = sum(span.score for span in spans) / len(spans) if spans else 0.0
        predictions.append(
            ArticlePrediction(article_id=article.id, spans=spans, model_version=version, score=score)
        )
    return predictions


def predict_file(model_uris: Sequence[str], articles_path: Path, output: Path) -> PredictResult:
    """Predict for every article of an articles JSONL file and write one prediction per line, atomically."""
    from collections import Counter

    from toolkit.ingest import read_articles
    from toolkit.io import write_jsonl_atomic

    articles = read_articles(articles_path)
    predictions = predict_articles(model_uris, articles)
    write_jsonl_atomic(output, (prediction.to_dict() for prediction in predictions))
    counts = Counter(span.group for prediction in predictions for span in prediction.spans)
    return PredictResult(
        output=output,
        articles=len(predictions),
        spans=dict(counts),
        model_version=predictions[0].model_version if predictions else "",
    )


def pre_annotations(
    articles: Sequence[Any], schema: Any, *, model_uris: Sequence[str] = (), rules: bool = False
) -> list[ArticlePrediction] | None:
    """What pre-annotates tasks: MLflow models, or the rule pre-annotator (money, %, dates, claim cues), or nothing."""
    if model_uris and rules:
        raise ToolkitError("choose one source of pre-annotations: --predictions MODEL_URI or --rules")
    if model_uris:
        return predict_articles(list(model_uris), articles)
    if rules:
        from toolkit.models.rules import predict_rules

        return predict_rules(articles, schema.version)
    return None
