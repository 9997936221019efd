"""Made-up news articles for load tests and benchmarks: short, bilingual, with every kind of span we label.

Each article names a company, a person, an amount, a percentage and a year, and holds a fact, a report, a
forecast and a rumour, alternating French (even numbers) and English; the same seed gives the same articles.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["synthetic_articles"]

ORGS = ("Écovia", "Castelmar", "Halvorsen Semiconductor", "Tidewell Pharma", "Quillon Motors", "Rivenbank")
PEOPLE = ("Zoé Durand", "Marta Lindqvist", "Paul Garnier", "Lena Varga")


def synthetic_articles(count: int, seed: int = 7, prefix: str = "art") -> Iterator[dict[str, str]]:
    """`count` raw articles as `toolkit ingest` reads them from JSONL: id, title, text, lang."""
    rng = random.Random(seed)
    width = max(4, len(str(count - 1)))
    for index in range(count):
        org, person = rng.choice(ORGS), rng.choice(PEOPLE)
        amount, pct, year = rng.randint(2, 900), rng.randint(1, 40), rng.choice([2025, 2026, 2027])
        if index % 2 == 0:
            lang = "fr"
            text = (
                f"{org} a annoncé jeudi un chiffre d'affaires de {amount} millions d'euros, en hausse de {pct} % "
                f"sur un an. Le groupe prévoit que la marge atteindra {pct + 1} % en {year}, a déclaré {person}. "
                f"Selon des sources, {org} pourrait céder une filiale. C'est l'article numéro {index}."
            )
        else:
            lang = "en"
            text = (
                f"{org} reported revenue of ${amount} million on Wednesday, up {pct}% from a year earlier. "
                f"The company expects margins of {pct + 1}% in {year}, {person} said. "
                f"It may sell a division, people familiar with the matter said. This is story number {index}."
            )
        yield {"id": f"{prefix}-{index:0{width}d}", "title": f"{org} {index}", "text": text, "lang": lang}
