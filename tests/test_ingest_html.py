"""`toolkit ingest page.html`: the article of a saved web page, its title, date and author, nothing around it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.ingest import ingest, read_articles
from toolkit.ingest.html import extract_page
from toolkit.text.normalize import normalize

PAGES = Path(__file__).parent / "fixtures" / "ingest" / "html"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
runner = CliRunner()


def sentences(article) -> list[str]:
    return [article.text[start:end] for start, end in article.sentences]


def flat(text: str) -> str:
    return " ".join(normalize(text).split())


def test_softbank_page_keeps_the_article_and_drops_menus_links_advert_and_footer():
    [article] = ingest([PAGES / "softbank-openai-fr.html"]).articles
    expected = EXPECTED["softbank-openai-fr.html"]
    assert article.title == expected["title"]
    assert article.meta["date"] == "2025-01-30" and article.meta["author"] == "Claire Morel"
    assert article.lang == "fr"
    for paragraph in expected["article"].split("\n"):
        assert flat(paragraph) in flat(article.text)
    for furniture in (
        "Voir aussi",
        "Ripple PDG",
        "Nvidia perd 600 milliards",  # the "Voir aussi" list after the article
        "Téléchargez",
        "GRATUIT",
        "Tradez plus de 300 cryptos",  # the in-article advert
        "Recevez notre newsletter",
        "Tous droits réservés",
        "cookies",
        "Actualités",
        "Avertissement",
    ):
        assert furniture not in article.text, furniture
    assert not re.search(r"^Bitcoin$", article.text, re.MULTILINE)
    # The headline is the title, not the first sentence; the subheading that repeats a sentence is dropped.
    assert not article.text.startswith("SoftBank prêt")
    assert article.text.count("actions SoftBank ont diminué de 1%") == 1


@pytest.mark.parametrize("name", [name for name in EXPECTED if name.startswith("wikinews-")])
def test_wikinews_page_gives_every_sentence_of_the_article_and_no_sources_or_categories(name):
    [article] = ingest([PAGES / name]).articles
    expected = EXPECTED[name]
    assert (article.title, article.lang, article.meta["date"]) == (
        expected["title"],
        expected["lang"],
        expected["date"],
    )
    assert "author" not in article.meta  # Wikinews pages name no author: none is made up
    [reference] = ingest_text(expected["article"], expected["lang"])
    assert sentences(article) == sentences(reference)


def ingest_text(text: str, lang: str):
    """The same article ingested from plain text: what the page should give."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "article.txt"
        path.write_text(text, encoding="utf-8")
        return ingest([path], lang=lang).articles


def test_sentence_offsets_point_into_the_extracted_text():
    [article] = ingest([PAGES / "wikinews-ebola-fr.html"]).articles
    dateline, first = sentences(article)[:2]
    assert dateline == "1er janvier 2016."
    assert first.startswith("– Lors d'un discours prononcé en Guinée le 29 décembre dernier")
    assert all(article.text[s:e].strip() == article.text[s:e] != "" for s, e in article.sentences)


def test_a_folder_of_saved_pages_is_read_page_by_page_in_name_order(tmp_path):
    result = ingest([PAGES])
    assert result.read == 5
    assert [Path(article.source).name for article in result.articles] == sorted(EXPECTED)


def test_cli_ingests_a_page_and_writes_title_and_metadata(tmp_path):
    output = tmp_path / "articles.jsonl"
    outcome = runner.invoke(app, ["ingest", str(PAGES / "softbank-openai-fr.html"), "--output", str(output)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith(f"wrote 1 article to {output} (read 1,")
    [article] = read_articles(output)
    assert article.title.startswith("SoftBank prêt à investir")
    assert article.meta["url"] == "https://www.cryptopolitan.com/fr/softbank-investir-25-milliards-openai/"


def test_a_page_in_its_declared_legacy_charset_is_decoded(tmp_path):
    body = (
        "<p>La Banque centrale européenne a relevé ses taux de 0,25 point, a annoncé jeudi sa présidente.</p>"
    )
    page = (
        '<html><head><meta charset="windows-1252"><title>Taux de la BCE</title></head>'
        f"<body><article><h1>Taux de la BCE</h1>{body * 3}</article></body></html>"
    )
    path = tmp_path / "bce.htm"
    path.write_bytes(page.encode("windows-1252"))
    [article] = ingest([path]).articles
    assert "Banque centrale européenne" in article.text and "\ufffd" not in article.text
    assert article.title == "Taux de la BCE" and article.lang == "fr"


def test_boilerplate_rules_apply_to_page_text_too(tmp_path):
    page = (
        "<html><body><article><h1>Résultats</h1>"
        "<p>Le groupe a publié jeudi un bénéfice net en hausse de 12 % sur un an, porté par ses ventes en Asie.</p>"
        "<p>Abonnez-vous pour lire la suite de cet article et recevoir nos alertes.</p>"
        "<p>Les analystes attendaient une hausse plus modeste, selon un consensus publié la semaine dernière.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    result = ingest([path])
    assert "Abonnez-vous" not in result.articles[0].text and result.boilerplate_lines == 1


def test_an_empty_page_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "empty.html"
    path.write_bytes(b"  \n")
    with pytest.raises(ToolkitError, match=r"empty\.html: file is empty"):
        ingest([path])


def test_a_page_without_article_text_is_counted_empty_and_the_others_are_kept(tmp_path):
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>Accueil</a></nav></body></html>")
    (tmp_path / "ebola.html").write_bytes((PAGES / "wikinews-ebola-fr.html").read_bytes())
    result = ingest([tmp_path])
    assert (result.read, result.empty, len(result.articles)) == (2, 1, 1)


def test_only_pages_without_article_text_fail_with_one_line(tmp_path):
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>Accueil</a></nav></body></html>")
    outcome = runner.invoke(app, ["ingest", str(tmp_path / "menu.html"), "-o", str(tmp_path / "out.jsonl")])
    assert outcome.exit_code != 0
    assert outcome.output.strip().splitlines() == [
        f"error: no articles left in {tmp_path / 'menu.html'}: all 1 read were empty after cleaning"
    ]
    assert not (tmp_path / "out.jsonl").exists()


def test_extract_page_drops_a_trailing_link_list_but_keeps_lists_inside_the_article():
    page = (
        "<html><body><article><h1>Budget</h1>"
        "<p>Le gouvernement a présenté mercredi son projet de budget pour l'année prochaine, en trois volets.</p>"
        "<ul><li>Une baisse de l'impôt sur le revenu pour les ménages modestes.</li>"
        "<li>Une hausse des crédits de la défense de 3 milliards d'euros.</li></ul>"
        "<p>Le texte sera examiné par l'Assemblée nationale à partir du mois d'octobre, a précisé le ministre.</p>"
        "<h2>Voir aussi</h2><ul><li><a href='/a'>Le déficit public atteint 5,5 %</a></li></ul>"
        "</article></body></html>"
    )
    extracted = extract_page(page)
    assert "Une hausse des crédits de la défense" in extracted.text
    assert "déficit public" not in extracted.text and "Voir aussi" not in extracted.text
