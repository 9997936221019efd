"""Annotated articles in our markup, turned into Label Studio exports the way the shipped sample is."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def load_build_export():
    """annotations/markup.py, the converter from our markup to Label Studio exports."""
    spec = importlib.util.spec_from_file_location("markup", ROOT / "annotations" / "markup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_export(
    articles: list[tuple[str, str, str]], second: dict[str, str] | None = None, cancelled: tuple = ()
) -> list:
    """A Label Studio JSON export of (article id, lang, marked-up text) written like the shipped sample."""
    from toolkit.schema import load_schema

    converter = load_build_export()
    schema = load_schema(ROOT / "annotations" / "schema.toml")
    tasks, annotation_id = [], 1
    for task_id, (article_id, lang, marked) in enumerate(articles, start=1):
        text, regions = converter.parse_markup(
            marked, set(schema.entities.values), set(schema.claims.values), article_id
        )
        annotations = [
            converter.annotation(annotation_id, task_id, 1, converter.result_of(text, regions, "a"), task_id)
        ]
        annotation_id += 1
        if second and article_id in second:
            _, other = converter.parse_markup(
                second[article_id], set(schema.entities.values), set(schema.claims.values), ""
            )
            annotations.append(
                converter.annotation(
                    annotation_id, task_id, 2, converter.result_of(text, other, "b"), task_id + 500
                )
            )
            annotation_id += 1
        if article_id in cancelled:
            annotations.append(
                converter.annotation(annotation_id, task_id, 3, [], task_id + 900, cancelled=True)
            )
            annotation_id += 1
        tasks.append(
            converter.task(task_id, converter.task_data(article_id, lang, None, text), annotations, task_id)
        )
    return tasks


EN = [
    "{FACT [ORG Acme Corp] shares rose [PERCENT 4%] on [DATE Tuesday].} {REPORTED Revenue reached [MONEY $2 billion], the company said.}",
    "{SPECULATIVE [ORG Globex] is in early talks to buy [ORG Initech], people familiar with the matter said.} {FORECAST Analysts expect margins to widen [DATE next year].}",
    "{OPINION The deal is a bold bet for [PER Jane Doe].} {FACT [ORG Initech] employs 4,000 people in [LOC Ohio].}",
    "{FACT [ORG Umbrella] cut [MONEY $300 million] of costs in [DATE 2025].} Here is what we know. {FORECAST The firm projects growth of [PERCENT 6%].}",
    "{REPORTED [PER John Smith] said sales fell [PERCENT 2%] in [LOC Texas].} {SPECULATIVE The company may sell its [LOC Paris] unit.}",
    "{OPINION Investors were wrong to panic.} {FACT [ORG Hooli] raised [MONEY $50 million] on [DATE Monday] 🚀.}",
]
FR = [
    "{FACT L'action [ORG Capgemini] a gagné [PERCENT 4,2 %] [DATE mardi].} {REPORTED Le bénéfice a progressé, selon [ORG Reuters].}",
    "{SPECULATIVE [ORG SoftBank] a manifesté son intérêt pour investir [MONEY 25 milliards de dollars] dans [ORG OpenAI].} {SPECULATIVE Les détails sont au stade initial.}",
    "{FORECAST La [ORG BCE] devrait baisser ses taux de [PERCENT 0,25 %] en [DATE juin].} {OPINION C'est une erreur stratégique, juge [PER Marie Dupont].}",
    "{FACT [ORG Orange] compte 1 200 salariés à [LOC Lyon].} Voici ce que l'on sait. {REPORTED Le groupe a démenti toute discussion, a indiqué [PER Paul Martin].}",
    "{FORECAST [ORG Total] table sur une hausse de [PERCENT 5 %] d'ici [DATE 2027].} {OPINION Ce pari est audacieux.}",
    "{FACT [ORG Air Liquide] a levé [MONEY 1,5 milliard d'euros] à [LOC Paris] [DATE lundi].} {SPECULATIVE Le groupe envisage une cession.}",
]


def train_sample_claims_model(root: Path) -> dict[str, str]:
    """{"uri": tracking URI, "model": model URI}: a claims model trained on EN and FR above, in a throwaway sqlite
    MLflow store under `root` (the dataset in root/data)."""
    import json

    from toolkit.dataset import build_dataset
    from toolkit.tracking.log import train

    export = root / "export.json"
    rows = [(f"en-{i}", "en", t) for i, t in enumerate(EN)] + [(f"fr-{i}", "fr", t) for i, t in enumerate(FR)]
    export.write_text(json.dumps(make_export(rows), ensure_ascii=False))
    build_dataset([export], root / "data", validation_fraction=0.2, test_fraction=0.2)
    experiment = root / "claims.toml"
    experiment.write_text('[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n')
    uri = f"sqlite:///{root / 'mlflow.db'}"
    return {"uri": uri, "model": train(experiment, root / "data", seed=7, tracking_uri=uri).model_uri}
