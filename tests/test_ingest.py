"""toolkit.ingest and `toolkit ingest`: readers, cleaning, language, sentences, ids, and one-line errors."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.ingest import ingest, read_articles, write_articles
from toolkit.ingest.boilerplate import clean_lines, load_rules
from toolkit.records import KEYS, Article
from toolkit.text.language import detect_language
from toolkit.text.normalize import normalize
from toolkit.text.sentences import split_sentences

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "softbank-openai-fr.txt"
runner = CliRunner()


def sentences_of(text: str, lang: str = "en") -> list[str]:
    spans = split_sentences(text, lang)
    for start, end in spans:
        assert text[start:end] == text[start:end].strip() != ""
    return [text[start:end] for start, end in spans]


def clean(text: str) -> str:
    return clean_lines(normalize(text), load_rules()).text


# ---- readers ------------------------------------------------------------------------------------------


def test_a_txt_file_is_one_article_and_its_first_line_is_not_a_title():
    result = ingest([FIXTURES / "acme-en.txt"])
    [article] = result.articles
    assert article.title is None
    assert article.text.startswith("Acme Corp. reported a quarterly profit")
    assert article.source == str(FIXTURES / "acme-en.txt")
    assert article.lang == "en" and article.meta == {}
    assert "Tech" not in article.text.split("\n") and "Read more" not in article.text
    assert result.boilerplate_lines == 3


def test_jsonl_reads_id_title_lang_and_keeps_other_fields_in_meta():
    path = FIXTURES / "articles.jsonl"
    result = ingest([path])
    assert (result.read, result.duplicates, result.empty) == (4, 1, 1)
    first, second = result.articles
    assert (first.id, first.title, first.lang) == ("bce-1", "La BCE baisse ses taux", "fr")
    assert first.meta == {"url": "https://example.org/bce", "tags": ["taux", "BCE"]}
    assert first.source == f"{path}:1"
    assert second.meta == {"published": "2025-01-02"} and second.source == f"{path}:2"
    assert second.title is None


def test_csv_reads_quoted_multiline_text_and_names_rows_by_line():
    path = FIXTURES / "articles.csv"
    first, second = ingest([path]).articles
    assert first.id == "orange-1" and first.title == "Orange recrute"
    assert (
        first.text
        == "Orange compte 1 200 salariés à Lyon.\nLe groupe prévoit d'en embaucher 300 de plus en 2026."
    )
    assert first.meta == {"section": "Entreprises"} and first.source == f"{path}:2"
    # An empty id cell means no id: the article gets a hash id.
    assert second.id == second.content_hash[:16] and second.source == f"{path}:4"
    assert (first.lang, second.lang) == ("fr", "en")


def test_a_directory_reads_its_files_in_name_order_and_skips_others(tmp_path):
    (tmp_path / "b.txt").write_text("The second file arrived later than the first one.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("The first file is read before the second one.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# not an article", encoding="utf-8")
    articles = ingest([tmp_path]).articles
    assert [Path(article.source).name for article in articles] == ["a.txt", "b.txt"]


def test_a_saved_hugging_face_dataset_is_read_split_by_split(tmp_path):
    datasets = pytest.importorskip("datasets")
    plain = datasets.Dataset.from_dict(
        {"text": ["Shares of Acme rose 4% on Tuesday.", None], "id": ["acme", "none"], "score": [0.5, 1.0]}
    )
    plain.save_to_disk(str(tmp_path / "plain"))
    french = datasets.Dataset.from_dict({"text": ["Les actions d'Orange ont gagné 2 % mardi."]})
    datasets.DatasetDict({"train": french}).save_to_disk(str(tmp_path / "splits"))

    result = ingest([tmp_path / "plain", tmp_path / "splits"])
    assert (result.read, result.empty) == (3, 1)
    acme, orange = result.articles
    assert acme.id == "acme" and acme.meta == {"score": 0.5} and acme.source == f"{tmp_path / 'plain'}#0"
    assert orange.lang == "fr" and orange.source == f"{tmp_path / 'splits' / 'train'}#0"

    datasets.Dataset.from_dict({"body": ["no text column"]}).save_to_disk(str(tmp_path / "body"))
    with pytest.raises(ToolkitError, match=r"body: dataset has no 'text' column \(columns: body\)"):
        ingest([tmp_path / "body"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.pdf", "whatever", r"a\.pdf: unknown extension '\.pdf'"),
        ("a.csv", "id,body\n1,hello\n", r"a\.csv:1: no 'text' column \(columns: id, body\)"),
        ("a.csv", 'text,id\n"one, two",3,4\n', r"a\.csv:2: 3 fields where the header has 2"),
        ("a.jsonl", '{"text": "fine"}\n{"body": "x"}\n', r"a\.jsonl:2: no 'text' field \(fields: body\)"),
        ("a.jsonl", '{"text": 3}\n', r"a\.jsonl:1: field 'text' must be a string"),
        ("a.jsonl", '{"text": "Hallo Welt.", "lang": "de"}\n', r"a\.jsonl:1: unsupported language 'de'"),
        ("a.txt", "  \n\n", r"a\.txt: file is empty"),
    ],
)
def test_bad_inputs_are_one_line_errors_naming_the_place(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ToolkitError, match=message) as caught:
        ingest([path])
    assert "\n" not in str(caught.value)


def test_an_empty_directory_and_no_articles_at_all_are_errors(tmp_path):
    with pytest.raises(ToolkitError, match="no .txt, .jsonl, .csv files"):
        ingest([tmp_path])
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,text\n", encoding="utf-8")
    with pytest.raises(ToolkitError, match="no articles in"):
        ingest([header_only])
    boilerplate_only = tmp_path / "ad.txt"
    boilerplate_only.write_text("Bitcoin\nAbonnez-vous à notre newsletter\n", encoding="utf-8")
    with pytest.raises(ToolkitError, match="all 1 read were empty after cleaning"):
        ingest([boilerplate_only])


# ---- normalisation and cleaning -----------------------------------------------------------------------


def test_normalize_unifies_unicode_and_whitespace():
    raw = "\ufeffLe taux\u00a0passe à 3,5\u00a0%\t\tcette  année.  \r\n  Deuxie\u0300me ligne.\r\n\r\n\n\n Nouveau\u200b paragraphe.  "
    assert normalize(raw) == "Le taux passe à 3,5 % cette année.\nDeuxième ligne.\n\nNouveau paragraphe."
    assert normalize(normalize(raw)) == normalize(raw)


@pytest.mark.parametrize(
    "line",
    [
        "Voir aussi Ripple PDG, Brad Garlinghouse, fait face à un contrecoup",
        "À lire aussi : la BCE baisse ses taux",
        "Read more: Why Acme's rivals are struggling",
        "See also Bitcoin hits a record",
        "Related: Globex to buy Initech",
        "Bitcoin",
        "Tech",
        "Marchés",
        "Intelligence Artificielle",
        "Téléchargez maintenant",
        "Abonnez-vous à notre newsletter",
        "Inscrivez-vous gratuitement",
        "Subscribe now for unlimited access",
        "Sign up for our daily newsletter",
        "Download the app",
        "Cryptopolitan Academy : Aide-mémoire GRATUIT pour CV Web3 - Téléchargez maintenant",
        "Publicité",
        "Disclaimer: This is not investment advice.",
    ],
)
def test_boilerplate_lines_are_dropped(line):
    text = f"La BCE a baissé ses taux de 0,25 % jeudi.\n{line}\nLes marchés ont salué la décision."
    cleaned = clean_lines(normalize(text), load_rules())
    assert cleaned.boilerplate == [line]
    assert cleaned.text == "La BCE a baissé ses taux de 0,25 % jeudi.\nLes marchés ont salué la décision."


@pytest.mark.parametrize(
    "line",
    [
        "Les actions ont chuté.",
        "Shares fell 3%.",
        "Il pleut.",
        "Apple Inc. said on Monday it would buy the startup.",
        "Related shares fell in Tokyo.",
        "Customers who sign up for the service pay $10 a month.",
        "The company's newsletter business grew 5% last year.",
        "Free Mobile a gagné 200 000 abonnés au troisième trimestre.",
        "Les abonnés ont augmenté de 3 %.",
        "Tesla recalled 2,000 cars",
        "Oui.",
        "« Non »",
        "Tokyo, jeudi",
    ],
)
def test_real_short_news_lines_are_kept(line):
    cleaned = clean_lines(normalize(line), load_rules())
    assert cleaned.text == line and cleaned.boilerplate == []


def test_a_line_repeating_a_clause_found_elsewhere_is_dropped_once():
    text = (
        "Les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi\n"
        "Les puces ont progressé, mais les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi.\n"
        "Le fonds a investi 500 millions de dollars.\n"
        "Le fonds a investi 500 millions de dollars.\n"
        "Le titre a baissé.\n"
        "Le titre a baissé."
    )
    cleaned = clean_lines(text, load_rules())
    assert cleaned.repeated == [
        "Les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi",
        "Le fonds a investi 500 millions de dollars.",
    ]
    # Short lines recur honestly ("Le titre a baissé." twice in a live blog): under five words they stay.
    assert cleaned.text.split("\n") == [
        "Les puces ont progressé, mais les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi.",
        "Le fonds a investi 500 millions de dollars.",
        "Le titre a baissé.",
        "Le titre a baissé.",
    ]


def test_a_line_inside_a_longer_sentence_but_not_at_a_clause_end_is_kept():
    text = "Les prix du pétrole ont augmenté fortement\nLes prix du pétrole ont augmenté fortement en Asie jeudi."
    assert clean_lines(text, load_rules()).repeated == []


def repeated(*lines: str) -> list[str]:
    return clean_lines("\n".join(lines), load_rules()).repeated


@pytest.mark.parametrize(
    ("end", "dropped"),
    [(",", True), (";", True), (" :", True), (" »", True), (")", True), (" ?", True), ("", True)]
    + [(" «", False), ("x", False), ("0", False), ("-", False), (" et plus", False)],
)
def test_a_repeated_clause_must_end_where_a_clause_ends(end, dropped):
    line = "le fonds a investi 500 millions"
    assert repeated(line, f"Il a dit que le fonds a investi 500 millions{end}") == ([line] if dropped else [])


@pytest.mark.parametrize(
    ("before", "dropped"),
    [("", True), ("l'", True), ("«", True), ("-", True), ("x", False), ("_", False), ("5", False)],
)
def test_a_repeated_clause_must_start_at_a_word_boundary(before, dropped):
    line = "le fonds a investi 500 millions"
    assert repeated(line, f"Il a dit que {before}le fonds a investi 500 millions.") == (
        [line] if dropped else []
    )


def test_repeats_ignore_case_apostrophes_and_closing_punctuation_and_the_first_twin_stays():
    assert repeated(
        "L’action du groupe a chuté de 5 %", "Selon Reuters, l'action du groupe a chuté de 5 %."
    ) == ["L’action du groupe a chuté de 5 %"]
    twins = (
        "Le groupe a vendu quatre usines.",
        "Le groupe a vendu quatre usines",
        "le groupe a vendu quatre usines !",
    )
    assert repeated(*twins) == list(twins[1:])


def test_a_line_held_by_a_later_line_is_dropped_even_when_that_line_is_dropped_in_turn():
    lines = (
        "Le fonds a investi 500 millions",
        "Selon la banque, le fonds a investi 500 millions, a-t-il dit.",
        "Hier, selon la banque, le fonds a investi 500 millions, a-t-il dit.",
    )
    assert repeated(*lines) == list(lines[:2])
    # A twin of a dropped line needs a holder of its own: the dropped first twin does not keep it.
    lines = (
        "Le fonds a investi 500 millions",
        "Selon la banque, le fonds a investi 500 millions.",
        "LE FONDS A INVESTI 500 MILLIONS !",
    )
    assert repeated(*lines) == [lines[0], lines[2]]


def test_a_line_held_only_by_a_line_already_dropped_stays():
    # The second line is the first one's twin and goes; it was the only one holding the third as a clause
    # (before “ a clause does not end), so dropping the third too would lose its words.
    lines = (
        "Les actions SoftBank ont diminué jeudi “",
        "Les actions SoftBank ont diminué jeudi.",
        "Actions SoftBank ont diminué jeudi.",
    )
    assert repeated(*lines) == [lines[1]]


def test_repeats_among_thousands_of_lines_are_each_found_once():
    lines = [
        f"Le titre {number} a gagné {number % 7} points, selon la Bourse de Paris." for number in range(3000)
    ]
    copies = {number: f"le titre {number} a gagné {number % 7} points" for number in range(0, 3000, 250)}
    for number, copy in sorted(copies.items(), reverse=True):
        lines.insert(number + (1 if number % 500 else 0), copy)
    lines.append(lines[1234])
    assert repeated(*lines) == [*copies.values(), lines[1234]]


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the shared example article is absent")
def test_the_real_example_keeps_the_news_and_drops_the_boilerplate():
    result = ingest([EXAMPLE])
    [article] = result.articles
    lines = article.text.split("\n")
    assert "Voir aussi" not in article.text
    assert "Bitcoin" not in lines
    assert "Téléchargez maintenant" not in article.text and "GRATUIT" not in article.text
    assert (result.boilerplate_lines, result.repeated_lines) == (3, 1)
    assert article.text.count("les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi") == 1
    assert article.lang == "fr"
    sentences = [article.text[start:end] for start, end in article.sentences]
    assert "Les détails sur l'investissement sont au stade initial et peuvent ne pas passer." in sentences
    assert any("Takehiko Masuzawa" in s and "«Softbank, qui met en place l'argent" in s for s in sentences)
    assert any(
        s.endswith(
            "notamment Adventest Corp., mais les actions SoftBank ont diminué de 1% sur le marché de Tokyo jeudi."
        )
        for s in sentences
    )
    assert len(sentences) == 12


def test_extra_boilerplate_rules_add_to_the_defaults(tmp_path):
    path = tmp_path / "wire.txt"
    path.write_text("Acme shares rose 4% on Tuesday.\n(Reporting by Jane Doe)\nBitcoin\n", encoding="utf-8")
    assert "(Reporting by Jane Doe)" in ingest([path]).articles[0].text
    result = ingest([path], boilerplate=FIXTURES / "extra-boilerplate.toml")
    assert result.articles[0].text == "Acme shares rose 4% on Tuesday." and result.boilerplate_lines == 2


def test_a_bad_boilerplate_file_names_the_file_and_the_rule(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rule]]\nname = 'broken'\nregex = '(unclosed'\n", encoding="utf-8")
    with pytest.raises(ToolkitError, match=r"rules\.toml: \[\[rule\]\] 'broken' has an invalid regex"):
        ingest([FIXTURES / "acme-en.txt"], boilerplate=rules)
    rules.write_text("pattern = 'x'\n", encoding="utf-8")
    with pytest.raises(ToolkitError, match=r"rules\.toml: defines no \[\[rule\]\]"):
        ingest([FIXTURES / "acme-en.txt"], boilerplate=rules)


# ---- duplicates, ids, language ------------------------------------------------------------------------


def test_duplicates_after_normalisation_are_dropped_and_counted(tmp_path):
    (tmp_path / "a.txt").write_text("Acme shares rose 4% on Tuesday.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("  Acme\u00a0shares rose  4% on Tuesday.\r\n\r\nTech\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Globex shares fell 2% on Friday.", encoding="utf-8")
    result = ingest([tmp_path])
    assert (result.read, result.duplicates, len(result.articles)) == (3, 1, 2)


def test_ids_are_stable_hashes_of_the_normalised_text_unless_the_input_has_one(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Acme shares rose 4% on Tuesday.\n", encoding="utf-8")
    article = ingest([path]).articles[0]
    digest = hashlib.sha256(b"Acme shares rose 4% on Tuesday.").hexdigest()
    assert (article.content_hash, article.id) == (digest, digest[:16])
    path.write_text("Acme  shares rose 4% on Tuesday.  \n\n", encoding="utf-8")
    assert ingest([path]).articles[0].id == digest[:16]
    given = tmp_path / "given.jsonl"
    given.write_text(
        json.dumps({"id": 7, "text": "Acme shares rose 4% on Tuesday."}) + "\n", encoding="utf-8"
    )
    assert ingest([given]).articles[0].id == "7"


def test_one_id_for_two_different_texts_is_an_error(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [
        {"id": "x", "text": "Acme shares rose 4% on Tuesday."},
        {"id": "x", "text": "Globex fell on Friday."},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(ToolkitError, match=r"a\.jsonl:2: id 'x' is already used by .*a\.jsonl:1"):
        ingest([path])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le groupe japonais a manifesté son intérêt pour investir dans l'entreprise.", "fr"),
        ("Les actions ont diminué de 1 % sur le marché de Tokyo jeudi.", "fr"),
        ("Selon Reuters, la BCE devrait baisser ses taux en juin", "fr"),
        ("The Japanese group said it was interested in investing in the company.", "en"),
        ("Shares of Nestlé fell 2% after the café chain's results were published.", "en"),
        ("Analysts expect margins to widen next year, the company said.", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_input_lang_wins_over_detection_and_the_lang_option_forces(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [
        {"text": "The company said profits rose in the third quarter.", "lang": "fr-FR"},
        {"text": "The company said profits fell in the fourth quarter."},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert [a.lang for a in ingest([path]).articles] == ["fr", "en"]
    assert [a.lang for a in ingest([path], lang="fr").articles] == ["fr", "fr"]
    with pytest.raises(ToolkitError, match="--lang: unsupported language 'es'"):
        ingest([path], lang="es")


# ---- sentences ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Le taux passe à 3,5 %. Il baissera en 2026.",
            "fr",
            ["Le taux passe à 3,5 %.", "Il baissera en 2026."],
        ),
        ("Growth was 1.5 percent. It slowed.", "en", ["Growth was 1.5 percent.", "It slowed."]),
        (
            "M. Dupont et Mme Durand sont arrivés. Dr. Watson aussi.",
            "fr",
            ["M. Dupont et Mme Durand sont arrivés.", "Dr. Watson aussi."],
        ),
        (
            "Acme Inc. Chief Executive Jane Doe left. Globex Corp. Shares fell.",
            "en",
            ["Acme Inc. Chief Executive Jane Doe left.", "Globex Corp. Shares fell."],
        ),
        (
            "The U.S. Federal Reserve raised rates. Markets fell.",
            "en",
            ["The U.S. Federal Reserve raised rates.", "Markets fell."],
        ),
        (
            "Tools, e.g. Python and R, are used. So is C.",
            "en",
            ["Tools, e.g. Python and R, are used.", "So is C."],
        ),
        ("Apples, pears, etc. Were all sold.", "en", ["Apples, pears, etc. Were all sold."]),
        ("St. Louis is big. It is old.", "en", ["St. Louis is big.", "It is old."]),
        (
            "It was founded by J. R. Smith in 1990. He left.",
            "en",
            ["It was founded by J. R. Smith in 1990.", "He left."],
        ),
        (
            "« Je ne sais pas... Peut-être demain », a-t-il dit. Puis il est parti.",
            "fr",
            ["« Je ne sais pas... Peut-être demain », a-t-il dit.", "Puis il est parti."],
        ),
        (
            "“We are pleased. Revenue grew,” he said. Shares rose.",
            "en",
            ["“We are pleased. Revenue grew,” he said.", "Shares rose."],
        ),
        ('He said "Yes." Then he left.', "en", ['He said "Yes."', "Then he left."]),
        ("Il a refusé. « Non », a-t-il dit.", "fr", ["Il a refusé.", "« Non », a-t-il dit."]),
        ("« C'est fini. » Puis il est parti.", "fr", ["« C'est fini. »", "Puis il est parti."]),
        ("The year ended. 2024 was good.", "en", ["The year ended.", "2024 was good."]),
        ("Pourquoi ? Parce que les taux montent !", "fr", ["Pourquoi ?", "Parce que les taux montent !"]),
        ("Pourquoi ? parce que.", "fr", ["Pourquoi ? parce que."]),
        ("Il attendait… Puis il partit.", "fr", ["Il attendait…", "Puis il partit."]),
        ("Il a cité le texte (...) Puis il partit.", "fr", ["Il a cité le texte (...) Puis il partit."]),
        ("Visit example.com. Then sign.", "en", ["Visit example.com.", "Then sign."]),
        (
            "A title without a stop\nA line.\n\nA new paragraph. Two sentences.",
            "en",
            ["A title without a stop", "A line.", "A new paragraph.", "Two sentences."],
        ),
    ],
)
def test_split_sentences(text, lang, expected):
    assert sentences_of(text, lang) == expected


def test_sentence_offsets_are_code_points_into_the_text():
    text = "Shares rose 4% 🚀. Acme gained.\n\n  Indented line.  "
    assert split_sentences(text, "en") == [(0, 17), (18, 30), (34, 48)]
    assert sentences_of(text) == ["Shares rose 4% 🚀.", "Acme gained.", "Indented line."]


def test_the_whole_word_before_a_stop_decides_however_long_it_is():
    # U.S.-like acronyms are letter groups of one or two: "xy.a.a…" is one, "xyz.a.a…" is not.
    acronym, word = "xy" + ".a" * 40, "xyz" + ".a" * 40
    assert sentences_of(f"The code {acronym}. Then it ran.") == [f"The code {acronym}. Then it ran."]
    assert sentences_of(f"The code {word}. Then it ran.") == [f"The code {word}.", "Then it ran."]
    # The word is the one before the stop's spaces: "M ." is still an initial.
    assert sentences_of("Le rapport de M . Dupont est paru. Il est long.", "fr") == [
        "Le rapport de M . Dupont est paru.",
        "Il est long.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "« Il pleut. (Vraiment. Si.) Il neige. » Puis il part.",
            ["« Il pleut. (Vraiment. Si.) Il neige. »", "Puis il part."],
        ),
        ("Il a dit « non. Puis il part.", ["Il a dit « non.", "Puis il part."]),
        ("« Oui. ) Non. » Fin.", ["« Oui. ) Non. »", "Fin."]),
        ("“Oui. » Non.” Fin.", ["“Oui. » Non.”", "Fin."]),
        ("(Il pleut. [Oui. Non.) Fin. ] Puis.", ["(Il pleut. [Oui. Non.) Fin. ] Puis."]),
        (
            'Il a dit "Oui. Bien." Puis "Non. Il partit.',
            ['Il a dit "Oui.', 'Bien."', 'Puis "Non.', "Il partit."],
        ),
        (
            'Il a dit "Oui. Bien." Puis "Non." Il partit.',
            ['Il a dit "Oui. Bien."', 'Puis "Non."', "Il partit."],
        ),
    ],
)
def test_quotes_hold_their_sentences_only_when_paired_with_their_own_closer(text, expected):
    assert sentences_of(text, "fr") == expected


def test_a_line_of_thousands_of_sentences_splits_as_each_sentence_alone():
    pieces = [
        "M. Dupont a vu le Dr. Watson à 9 h.",
        "« Il pleut. Il neige », a-t-il dit.",
        "Les U.S. ont voté (à 51 %. Puis 49 %).",
        "Pourquoi ?",
        "Le titre a gagné 1.5 point…",
    ]
    line = " ".join(pieces * 1000)
    assert sentences_of(line, "fr") == pieces * 1000


# ---- article records ----------------------------------------------------------------------------------


def test_articles_round_trip_through_jsonl_with_exactly_the_documented_keys(tmp_path):
    articles = ingest([FIXTURES / "articles.jsonl", FIXTURES / "articles.csv"]).articles
    path = write_articles(tmp_path / "out.jsonl", articles)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [tuple(json.loads(line)) for line in lines] == [KEYS] * len(articles)
    assert read_articles(path) == articles
    assert Article.from_dict(articles[0].to_dict()) == articles[0]


def test_ingesting_ingested_articles_gives_them_back(tmp_path):
    articles = ingest([FIXTURES / "articles.jsonl", FIXTURES / "acme-en.txt"]).articles
    path = write_articles(tmp_path / "articles.jsonl", articles)
    again = ingest([path]).articles
    assert [(a.id, a.title, a.text, a.lang, a.sentences) for a in again] == [
        (a.id, a.title, a.text, a.lang, a.sentences) for a in articles
    ]
    # The earlier source is kept as provenance; the derived fields are recomputed, not copied into meta.
    assert again[0].meta == {**articles[0].meta, "source": articles[0].source}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("content_hash"), "not an ingested article \\(missing content_hash\\)"),
        (lambda r: r.update(extra=1), "not an ingested article \\(unexpected extra\\)"),
        (lambda r: r.update(text=r["text"] + " edited"), "'content_hash' does not match 'text'"),
        (lambda r: r.update(lang="de"), "'lang' must be one of fr, en"),
        (lambda r: r.update(sentences=[[0, 10_000]]), "'sentences' must hold ordered"),
    ],
)
def test_read_articles_rejects_a_bad_record_at_file_and_line(tmp_path, change, message):
    good, bad = (article.to_dict() for article in ingest([FIXTURES / "articles.csv"]).articles)
    change(bad)
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ToolkitError, match=f"articles\\.jsonl:2: {message}"):
        read_articles(path)


# ---- command line -------------------------------------------------------------------------------------


def test_cli_writes_articles_and_prints_one_summary_line(tmp_path):
    output = tmp_path / "out" / "articles.jsonl"
    result = runner.invoke(
        app,
        ["ingest", str(FIXTURES / "articles.jsonl"), str(FIXTURES / "acme-en.txt"), "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"wrote 3 articles to {output} (read 5, 1 duplicate, 1 empty,"
        " 5 boilerplate lines and 0 repeated lines dropped)\n"
    )
    assert [article.lang for article in read_articles(output)] == ["fr", "en", "en"]


def test_cli_lang_and_boilerplate_options_change_the_output(tmp_path):
    source = tmp_path / "wire.txt"
    source.write_text("Acme shares rose 4% on Tuesday.\n(Reporting by Jane Doe)\n", encoding="utf-8")
    output = tmp_path / "articles.jsonl"
    extra = str(FIXTURES / "extra-boilerplate.toml")
    result = runner.invoke(
        app, ["ingest", str(source), "-o", str(output), "--lang", "fr", "--boilerplate", extra]
    )
    assert result.exit_code == 0, result.output
    [article] = read_articles(output)
    assert (article.lang, article.text) == ("fr", "Acme shares rose 4% on Tuesday.")


@pytest.mark.parametrize(
    ("name", "content", "place"),
    [
        ("latin1.txt", "Le march\xe9 a chut\xe9.\n".encode("latin-1"), "latin1.txt:1: not valid UTF-8"),
        ("empty.txt", b"", "empty.txt: file is empty"),
        ("empty.jsonl", b"\n", "empty.jsonl: file is empty"),
        ("broken.jsonl", b'{"text": "fine"}\n{"text": "oops"\n', "broken.jsonl:2: malformed JSON"),
        ("no-text.jsonl", b'{"body": "x"}\n', "no-text.jsonl:1: no 'text' field"),
        ("no-text.csv", b"id,body\n1,hello\n", "no-text.csv:1: no 'text' column"),
    ],
)
def test_cli_bad_input_is_one_error_line_and_writes_nothing(tmp_path, name, content, place):
    good = FIXTURES / "acme-en.txt"
    bad = tmp_path / name
    bad.write_bytes(content)
    output = tmp_path / "articles.jsonl"
    result = runner.invoke(app, ["ingest", str(good), str(bad), "--output", str(output)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.output.splitlines()
    assert re.fullmatch(rf"error: {re.escape(str(tmp_path))}/{re.escape(place)}.*", line), line
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_cli_leaves_an_existing_output_untouched_on_error(tmp_path):
    output = tmp_path / "articles.jsonl"
    output.write_text("previous run\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad), "--output", str(output)])
    assert result.exit_code == 1 and output.read_text(encoding="utf-8") == "previous run\n"


def test_a_csv_with_a_repeated_column_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("id,text,text\na,First text.,Second text.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(path), "--output", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and f"error: {path}:1: column text appears twice" in result.output
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # The quote on line 3 never closes: a lenient reader made rows 3-5 one text, without a word.
        (
            'id,text\n1,First article.\n2,"Second article, quoted\n3,Third article.\n4,Fourth article.\n',
            ":3: a quote opened in this row is never closed",
        ),
        # A later quote "closes" it: what follows is not a comma, so the row cannot be right.
        (
            'id,text\n1,"Unterminated\n2,Second.\n3,"Third."\n',
            r":2: malformed CSV quoting in the row starting here \(',' expected after '\"' on line 4\)",
        ),
        ('id,text\n1,"Quoted" then more\n', r":2: malformed CSV quoting in the row starting here"),
    ],
)
def test_a_csv_with_an_unterminated_quote_is_refused_with_file_and_line(tmp_path, content, message):
    path = tmp_path / "quotes.csv"
    path.write_text(content, encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["ingest", str(path), "--output", str(output)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.splitlines()
    assert re.match(rf"error: {re.escape(str(path))}{message}", line), line
    assert not output.exists()


def test_an_unterminated_quote_in_a_large_csv_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    rows = "".join(f"{n},Article number {n} with some words in it.\n" for n in range(4000))
    path.write_text('id,text\n1,"Opened and never closed\n' + rows, encoding="utf-8")
    with pytest.raises(ToolkitError, match=r"big\.csv:2: a field of this row runs past 131,072 characters"):
        ingest([path])


def test_quoted_csv_fields_with_commas_doubled_quotes_and_lines_still_read(tmp_path):
    path = tmp_path / "fine.csv"
    path.write_text('id,text\n1,"He said ""yes"", then left.\nNew paragraph."\n2,Plain.\n', encoding="utf-8")
    texts = [article.text for article in ingest([path]).articles]
    assert texts == ['He said "yes", then left.\nNew paragraph.', "Plain."]
