"""`toolkit predict`: entity and claim spans, with labels and scores, for articles, from MLflow models.

A model URI names a model `toolkit train` logged (`runs:/ID/model`, `models:/toolkit-claims@champion`, a folder);
it is loaded through skops with the toolkit's own trusted types only (`toolkit.tracking.models`), never pickle.
Each model knows its task from the metadata `toolkit train` logged with it: a claim classifier labels sentences,
an entity tagger labels tokens; both come back as character spans into the article's text.

`predict_file` writes the predictions as JSONL (one `ArticlePrediction.to_dict()` per article) or CSV (one row
per span, `CSV_COLUMNS`), and returns them with a per-sentence view (`ArticleView`) for a terminal table."""

from __future__ import annotations

import json
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

__all__ = [
    "FILE_FORMATS",
    "CSV_COLUMNS",
    "SentenceView",
    "ArticleView",
    "PredictResult",
    "predict_articles",
    "predict_loaded",
    "predict_file",
    "article_views",
    "format_predictions",
    "pre_annotations",
    "with_cue_regions",
    "sentence_probabilities",
    "active_selector",
]

FILE_FORMATS = ("jsonl", "csv")
CSV_COLUMNS = ("article_id", "model_version", "group", "label", "start", "end", "text", "score")


@dataclass
class SentenceView:
    """One sentence of an article with what the models said about it."""

    start: int
    end: int
    text: str
    status: (
        str | None
    )  # the claim status; None when no claim span lies in the sentence (NONE, or no claims model)
    score: float | None  # the claim's score
    cue: str | None  # a cue phrase of toolkit/data/cues.toml, as the sentence writes it
    cue_category: str | None  # its category: hedge, attribution, forecast or opinion
    entities: list[PredictedSpan] = field(default_factory=list)


@dataclass
class ArticleView:
    article_id: str
    title: str | None
    model_version: str
    sentences: list[SentenceView]


@dataclass
class PredictResult:
    output: Path | None  # None: nothing written, the caller formats `predictions`
    articles: int
    spans: dict[str, int] = field(default_factory=dict)
    model_version: str = ""
    predictions: list[ArticlePrediction] = field(default_factory=list)
    views: list[ArticleView] = field(default_factory=list)


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
    return predict_loaded([load_model(uri) for uri in model_uris], articles)


def predict_loaded(loaded: Sequence[LoadedModel], articles: Sequence[Any]) -> list[ArticlePrediction]:
    """`predict_articles` with the models already loaded (a batch loads them once, then predicts chunks)."""
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


def predict_file(
    model_uris: Sequence[str], articles_path: Path, output: Path | None = None, *, format: str = "jsonl"
) -> PredictResult:
    """Predict for every article of an articles file (JSONL, Parquet, a saved dataset), all in memory; write them to `output` (atomically) in `format`
    (jsonl or csv) unless it is None; return them with their per-sentence views."""
    from collections import Counter

    from toolkit.ingest.articles import iter_articles, read_articles
    from toolkit.io import write_text_atomic

    if format not in FILE_FORMATS:
        raise ToolkitError(f"format must be one of {', '.join(FILE_FORMATS)}, got {format!r}")
    is_jsonl = Path(articles_path).is_file() and Path(articles_path).suffix.lower() != ".parquet"
    articles = read_articles(articles_path) if is_jsonl else list(iter_articles(articles_path))
    predictions = predict_articles(model_uris, articles)
    if output is not None:
        write_text_atomic(output, format_predictions(predictions, format))
    counts = Counter(span.group for prediction in predictions for span in prediction.spans)
    return PredictResult(
        output=output,
        articles=len(predictions),
        spans=dict(counts),
        model_version=predictions[0].model_version if predictions else "",
        predictions=predictions,
        views=article_views(articles, predictions),
    )


def format_predictions(predictions: Sequence[ArticlePrediction], format: str = "jsonl") -> str:
    """The predictions as JSONL (one article per line) or CSV (a header, then one row per span)."""
    if format == "jsonl":
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in predictions)
    if format == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for prediction in predictions:
            for span in prediction.spans:
                writer.writerow(
                    [
                        prediction.article_id,
                        prediction.model_version,
                        span.group,
                        span.label,
                        span.start,
                        span.end,
                        span.text,
                        round(span.score, 4),
                    ]
                )
        return buffer.getvalue()
    raise ToolkitError(f"format must be one of {', '.join(FILE_FORMATS)}, got {format!r}")


def _cue_finder() -> Any:
    """sentence, lang, claim status → (cue phrase, category) or (None, None): the cue that explains the status
    if there is one, else the first cue of the rules' order (forecast, hedge, opinion, attribution)."""
    from toolkit.models.rules import STATUS_OF_CUE, load_cues

    cues = load_cues()
    category_of = {status: category for category, status in STATUS_OF_CUE.items()}
    rank = {status: index for index, status in enumerate(cues.order)}

    def find(text: str, lang: str, status: str | None) -> tuple[str | None, str | None]:
        pattern = cues.patterns.get(lang, cues.patterns.get("*"))
        lowered = text.lower()
        if pattern is None or len(lowered) != len(text):
            return None, None
        found = [(match.lastgroup, match.start(), match.end()) for match in pattern.finditer(lowered)]
        if not found:
            return None, None
        chosen = next((hit for hit in found if hit[0] == status), None) or min(
            found, key=lambda hit: (rank[hit[0]], hit[1])
        )
        return text[chosen[1] : chosen[2]], category_of[chosen[0]]

    return find


def article_views(articles: Sequence[Any], predictions: Sequence[ArticlePrediction]) -> list[ArticleView]:
    """Per article, per sentence: the claim status and score, the cue, and the entities inside it."""
    find_cue = _cue_finder()
    views = []
    for article, prediction in zip(articles, predictions, strict=True):
        claims = [span for span in prediction.spans if span.group == "claims"]
        entities = [span for span in prediction.spans if span.group == "entities"]
        sentences = []
        for start, end in sentence_offsets(article.text, article.lang, article.sentences):
            claim = next((span for span in claims if start <= span.start and span.end <= end), None)
            status = claim.label if claim else None
            cue, category = find_cue(article.text[start:end], article.lang, status)
            sentences.append(
                SentenceView(
                    start=start,
                    end=end,
                    text=article.text[start:end],
                    status=status,
                    score=claim.score if claim else None,
                    cue=cue,
                    cue_category=category,
                    entities=[span for span in entities if start <= span.start < end],
                )
            )
        views.append(ArticleView(article.id, article.title, prediction.model_version, sentences))
    return views


def pre_annotations(
    articles: Sequence[Any], schema: Any, *, model_uris: Sequence[str] = (), rules: bool = False
) -> list[ArticlePrediction] | None:
    """What pre-annotates tasks: MLflow models, or the rule pre-annotator (money, %, dates, claim cues), or nothing."""
    if model_uris and rules:
        raise ToolkitError("choose one source of pre-annotations: model URIs or the rules, not both")
    explain = getattr(schema, "cues", None) is not None
    if model_uris:
        predictions = predict_articles(list(model_uris), articles)
        return with_cue_regions(articles, predictions) if explain else predictions
    if rules:
        from toolkit.models.rules import predict_rules

        return predict_rules(articles, schema.version, explain=explain)
    return None


def with_cue_regions(
    articles: Sequence[Any], predictions: Sequence[ArticlePrediction]
) -> list[ArticlePrediction]:
    """The predictions with a `cues` region for each cue phrase inside a predicted claim other than FACT, scored
    as that claim: what a reviewer reads to see why the model chose SPECULATIVE, REPORTED, FORECAST or OPINION.
    The article's score stays the models' own."""
    from dataclasses import replace

    from toolkit.models.rules import FACT, cue_spans, load_cues

    cues = load_cues()
    by_id = {article.id: article for article in articles}
    explained = []
    for prediction in predictions:
        article = by_id[prediction.article_id]
        extra = []
        for span in prediction.spans:
            if span.group == "claims" and span.label != FACT:
                extra += cue_spans(article.text, article.lang, [(span.start, span.end)], cues, span.score)
        spans = sorted([*prediction.spans, *extra], key=lambda s: (s.start, s.end, s.group))
        explained.append(replace(prediction, spans=spans))
    return explained


def sentence_probabilities(loaded: LoadedModel, articles: Sequence[Any]) -> list[Any]:
    """Per article, its sentences' class probabilities from a claim model (rows: sentences, columns: classes_)."""
    import numpy as np

    places = [
        (index, start, end)
        for index, article in enumerate(articles)
        for start, end in sentence_offsets(article.text, article.lang, article.sentences)
    ]
    width = len(loaded.model.classes_)
    if not places:
        return [np.zeros((0, width)) for _ in articles]
    texts = np.array([articles[index].text[start:end] for index, start, end in places], dtype=str)
    probabilities = loaded.model.predict_proba(texts)
    rows: list[list[Any]] = [[] for _ in articles]
    for (index, _, _), row in zip(places, probabilities, strict=True):
        rows[index].append(row)
    return [np.array(r) if r else np.zeros((0, width)) for r in rows]


def active_selector(model_uris: Sequence[str], strategy: str, sentences: int | None = None) -> Any:
    """`push_tasks`' selector for active learning: (candidates, limit) → [(article, task data fields)], the
    articles the claim model among `model_uris` is least sure about first (toolkit.training.select), until they
    hold `sentences` sentences when that budget is given."""
    from toolkit.training.select import STRATEGIES, rank

    if strategy not in STRATEGIES:
        raise ToolkitError(f"unknown selection strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")

    def select(candidates: Sequence[Any], limit: int | None) -> list[tuple[Any, dict[str, Any]]]:
        claims = None
        for uri in model_uris:
            loaded = load_model(uri)
            if not task_spec(loaded.task).sequence:
                claims = loaded
                break
        if claims is None:
            raise ToolkitError(
                "--select ranks articles by the claim model's probabilities: "
                "add --predictions with a claims model (models:/toolkit-claims@champion)"
            )
        probabilities = sentence_probabilities(claims, candidates)
        texts = [article.text for article in candidates]
        picks = rank(probabilities, strategy, texts, limit, sentences)
        return [
            (
                candidates[pick.index],
                {"al_score": round(pick.score, 4), "al_strategy": strategy, "al_rank": pick.rank},
            )
            for pick in picks
        ]

    return select
