"""The Label Studio round trip without a server: recorded exports, and an in-memory API behind httpx.MockTransport."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, RetryPolicy, Settings, load_settings
from toolkit.labelstudio.payloads import OFFSET_UNIT, build_tasks, check_predictions
from toolkit.labelstudio.project import init_project
from toolkit.labelstudio.pull import latest_snapshot, pull, slugify
from toolkit.labelstudio.push import push_tasks
from toolkit.models.rules import RuleTagger, claim_spans, entity_spans, load_cues
from toolkit.predict import pre_annotations
from toolkit.records import Article, ArticlePrediction, PredictedSpan, text_hash
from toolkit.schema import load_schema

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
REAL_EXPORT = FIXTURES / "real_export_1.23.2.json"
_spec = importlib.util.spec_from_file_location("fake_label_studio", FIXTURES / "fake_server.py")
fake_server = importlib.util.module_from_spec(_spec)
sys.modules["fake_label_studio"] = fake_server  # dataclasses look their module up there
_spec.loader.exec_module(fake_server)
FakeLabelStudio = fake_server.FakeLabelStudio


def article(article_id: str, text: str, lang: str = "en") -> Article:
    return Article(article_id, article_id, text, lang, text_hash(text), "test", [(0, len(text))], {})


def write_articles(path: Path, count: int) -> Path:
    texts = [
        f"Acme Corp expects revenue of $12 million in 2027, its CEO said. Story {i}." for i in range(count)
    ]
    texts[1] = "🚀 Écovia a levé 12 M€ jeudi, soit +35 % sur un an, selon Zoé."
    lines = [
        json.dumps(article(f"a{i}", t, "fr" if i == 1 else "en").to_dict(), ensure_ascii=False)
        for i, t in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fake() -> FakeLabelStudio:
    return FakeLabelStudio()


RULES = partial(pre_annotations, rules=True)


def client_for(fake: FakeLabelStudio, key: str | None = None) -> Client:
    settings = Settings("http://ls.test", key or fake.api_key, timeout=5)
    return Client(settings, retry=RetryPolicy(attempts=3, backoff=0.0), httpx_client=fake.client())


# ---- settings and errors ---------------------------------------------------------------------------------


def test_settings_come_from_the_environment_before_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "LABEL_STUDIO_PORT", "LABEL_STUDIO_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    env.write_text("LABEL_STUDIO_API_KEY=from-dotenv\nLABEL_STUDIO_PORT=9001\n")
    settings = load_settings(env_file=env)
    assert (settings.url, settings.api_key, settings.timeout) == (
        "http://127.0.0.1:9001",
        "from-dotenv",
        60.0,
    )
    assert "from-dotenv" not in repr(settings)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-env")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://ls.example:1234/")
    assert load_settings(env_file=env).api_key == "from-env"
    assert load_settings(env_file=env).url == "http://ls.example:1234"
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(ToolkitError, match="LABEL_STUDIO_API_KEY is not set"):
        load_settings(env_file=tmp_path / "missing.env")


def test_errors_are_one_line_without_the_key(fake: FakeLabelStudio) -> None:
    with pytest.raises(ToolkitError) as refused:
        client_for(fake, key="wrong-key-123456").check()
    assert "refused the API key (401" in str(refused.value) and "wrong-key" not in str(refused.value)
    import httpx

    client = client_for(fake)
    messages = [
        client.describe(httpx.ConnectError("refused"), "listing"),
        client.describe(httpx.ReadTimeout(f"timed out, key {fake.api_key}"), "importing"),
    ]
    assert "not running at http://ls.test" in messages[0] and "did not answer within 5 s" in messages[1]
    assert all(fake.api_key not in message and "\n" not in message for message in messages)


def test_a_5xx_is_retried_then_reported(fake: FakeLabelStudio) -> None:
    client = client_for(fake)
    calls = []

    def flaky():
        from label_studio_sdk.core.api_error import ApiError

        calls.append(1)
        raise ApiError(status_code=502, body="<html>Bad gateway</html>")

    with pytest.raises(ToolkitError, match=r"answered 502 \(probing\): an HTML error page after 3 tries"):
        client.call("probing", flaky)
    assert len(calls) == 3


# ---- tasks and predictions -------------------------------------------------------------------------------


def test_predictions_are_checked_before_anything_is_sent() -> None:
    schema = load_schema()
    item = article("a1", "Zoé 😀 bought Acme for $5 million.")
    good = PredictedSpan("entities", "MONEY", 22, 32, "$5 million", 0.9)
    assert item.text[22:32] == "$5 million"
    assert check_predictions([item], [ArticlePrediction("a1", [good], "m-1", 0.9)], schema) == 1
    bad_spans = [
        (PredictedSpan("entities", "MONEY", 23, 33, "$5 million", 0.9), "does not match"),
        (PredictedSpan("entities", "MONEY", 30, 99, "x", 0.9), "out of range"),
        (PredictedSpan("entities", "FACT", 22, 32, "$5 million", 0.9), "not in group 'entities'"),
        (PredictedSpan("topics", "MONEY", 22, 32, "$5 million", 0.9), "not a Labels group"),
    ]
    for span, reason in bad_spans:
        with pytest.raises(ToolkitError, match=reason) as error:
            check_predictions([item], [ArticlePrediction("a1", [good, span], "m-1", 0.9)], schema)
        assert str(error.value).startswith(
            "prediction refused before sending, nothing was sent: article 'a1'"
        )
    with pytest.raises(ToolkitError, match=r"\(2 bad spans in all\)"):
        check_predictions(
            [item], [ArticlePrediction("a1", [s for s, _ in bad_spans[:2]], "m-1", 0.9)], schema
        )


def test_tasks_carry_the_article_and_code_point_offsets() -> None:
    item = article("a1", "🚀 Écovia a levé 12 M€ jeudi, soit +35 % sur un an.", "fr")
    (prediction,) = RuleTagger("1").predict([item])
    (task,) = build_tasks([item], [prediction])
    assert OFFSET_UNIT == "codepoint"
    assert set(task["data"]) == {"text", "article_id", "content_hash", "lang", "title", "sentences"}
    (sent,) = task["predictions"]
    assert sent["model_version"] == "rules v1" and 0 < sent["score"] <= 1
    labels = {region["value"]["labels"][0]: region["value"] for region in sent["result"]}
    assert labels["MONEY"]["text"] == "12 M€" and (labels["MONEY"]["start"], labels["MONEY"]["end"]) == (
        16,
        21,
    )
    for region in sent["result"]:
        value = region["value"]
        assert item.text[value["start"] : value["end"]] == value["text"] and region["to_name"] == "text"
    assert len({region["id"] for region in sent["result"]}) == len(sent["result"])


def test_rules_find_amounts_percentages_dates_and_cues() -> None:
    en = "Acme expects revenue of $5.3 billion in Q4 2026, up 12 per cent on Wednesday."
    fr = "Castelmar a cédé sa filiale pour 410 millions d'euros jeudi, soit 7,1 % de plus que l'an dernier."
    assert [(s.label, s.text) for s in entity_spans(en, "en")] == [
        ("MONEY", "$5.3 billion"), ("DATE", "Q4 2026"), ("PERCENT", "12 per cent"), ("DATE", "Wednesday"),
    ]  # fmt: skip
    assert [(s.label, s.text) for s in entity_spans(fr, "fr")] == [
        ("MONEY", "410 millions d'euros"), ("DATE", "jeudi"), ("PERCENT", "7,1 %"), ("DATE", "l'an dernier"),
    ]  # fmt: skip
    words = "Son avait proposé un milliard de dollars, puis six milliards d'euros ; le Million Dollar Baby."
    assert [(s.label, s.text) for s in entity_spans(words, "fr")] == [
        ("MONEY", "un milliard de dollars"), ("MONEY", "six milliards d'euros"),
    ]  # fmt: skip
    assert [s.text for s in entity_spans("Billions of dollars, 26 cents, a billion euros.", "en")] == [
        "Billions of dollars", "26 cents", "a billion euros",
    ]  # fmt: skip
    # Guidelines 6.9: the demonstrative stays in, relative days are dates, "dernier" belongs to the date; text
    # may come tokenised ("l ' an", "1 er").
    dates = "Ce samedi 14 mai 2016 et lundi dernier, ce matin, l ' an prochain, le vendredi 1 er juillet, début 2016."
    assert [s.text for s in entity_spans(dates, "fr")] == [
        "Ce samedi 14 mai 2016", "lundi dernier", "ce matin", "l ' an prochain", "vendredi 1 er juillet",
        "début 2016",
    ]  # fmt: skip
    cues = load_cues()
    text = (
        "It may sell a unit, people familiar with the matter said. Sales rose, the CEO said. It has 3 plants."
    )
    sentences = [(0, 57), (58, 83), (84, len(text))]
    assert [s.label for s in claim_spans(text, "en", sentences, cues)] == ["SPECULATIVE", "REPORTED", "FACT"]


def test_export_is_idempotent_and_batched(fake: FakeLabelStudio, tmp_path: Path) -> None:
    project = fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 7)
    first = push_tasks(
        articles,
        "news",
        predictor=RULES,
        batch_size=3,
        client=client_for(fake),
        exports_dir=tmp_path / "exports",
    )
    assert (first.created, first.existing, first.batches, fake.imports) == (7, 0, 3, 3)
    assert first.model_version == "rules-1" and first.spans > 7
    again = push_tasks(
        articles,
        "news",
        predictor=RULES,
        batch_size=3,
        client=client_for(fake),
        exports_dir=tmp_path / "exports",
    )
    assert (again.created, again.existing, again.predictions_present, fake.imports) == (0, 7, 7, 3)
    limited = (
        push_tasks(articles, "other", limit=2, client=client_for(fake), exports_dir=tmp_path / "exports")
        if fake.add_project("other")
        else None
    )
    assert limited.created == 2 and len(fake.task_keys(project)) == 7


def test_predictions_reach_existing_tasks_once(fake: FakeLabelStudio, tmp_path: Path) -> None:
    fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 4)
    push_tasks(articles, "news", client=client_for(fake), exports_dir=tmp_path / "exports")
    assert fake.predictions == []
    added = push_tasks(
        articles, "news", predictor=RULES, client=client_for(fake), exports_dir=tmp_path / "exports"
    )
    assert (added.created, added.predictions_added) == (0, 4)
    again = push_tasks(
        articles, "news", predictor=RULES, client=client_for(fake), exports_dir=tmp_path / "exports"
    )
    assert (again.predictions_added, again.predictions_present, len(fake.predictions)) == (0, 4, 4)


def test_a_large_project_is_asked_only_about_the_pushed_articles(
    fake: FakeLabelStudio, tmp_path: Path
) -> None:
    project = fake.add_project("news")
    fake._import(project, [{"data": {"article_id": f"old-{i}", "content_hash": "h"}} for i in range(50)])
    articles = write_articles(tmp_path / "articles.jsonl", 4)
    ids = sorted(json.loads(line)["id"] for line in articles.read_text(encoding="utf-8").splitlines())
    push_tasks(articles, "news", client=client_for(fake), exports_dir=tmp_path / "exports")
    assert fake.task_queries == [("data.article_id", ids)]
    fake.task_queries.clear()
    added = push_tasks(
        articles, "news", predictor=RULES, client=client_for(fake), exports_dir=tmp_path / "exports"
    )
    task_ids = sorted(task_id for task_id, task in fake.tasks.items() if task["data"]["article_id"] in ids)
    assert fake.task_queries[0] == ("data.article_id", ids)
    assert [(column, sorted(values)) for column, values in fake.task_queries[1:]] == [("id", task_ids)]
    assert (added.created, added.existing, added.predictions_added) == (0, 4, 4)
    again = push_tasks(
        articles, "news", predictor=RULES, client=client_for(fake), exports_dir=tmp_path / "exports"
    )
    assert (again.created, again.predictions_added, again.predictions_present) == (0, 0, 4)
    assert len(fake.task_keys(project)) == 54 and ("GET", "/api/predictions") not in fake.requests


def test_ids_are_asked_in_groups_that_keep_the_url_short() -> None:
    from urllib.parse import quote

    from toolkit.labelstudio.push import QUERY_CHARS, _id_groups

    ids = [f"article/été-{i:06d}" for i in range(2000)]
    groups = list(_id_groups(ids))
    assert [i for group in groups for i in group] == ids and len(groups) > 1
    assert all(len(quote(json.dumps(group))) <= QUERY_CHARS for group in groups)
    assert len(quote(json.dumps(groups[0] + ids[:1]))) > QUERY_CHARS - 40  # groups are full, not tiny


@pytest.mark.parametrize("fault", ["after-500", "timeout"])
def test_a_lost_answer_is_retried_without_duplicates(
    fake: FakeLabelStudio, tmp_path: Path, fault: str
) -> None:
    project = fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 6)
    fake.faults = ["pass", fault]
    result = push_tasks(
        articles,
        "news",
        predictor=RULES,
        batch_size=2,
        client=client_for(fake),
        exports_dir=tmp_path / "exports",
    )
    assert (result.created, result.retries) == (6, 1)
    keys = fake.task_keys(project)
    assert len(keys) == 6 == len(set(keys))


def test_persistent_failure_stops_with_one_line_and_a_rerun_finishes(
    fake: FakeLabelStudio, tmp_path: Path
) -> None:
    project = fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 6)
    fake.faults = ["pass", "500", "500", "500"]
    with pytest.raises(ToolkitError) as error:
        push_tasks(articles, "news", batch_size=2, client=client_for(fake), exports_dir=tmp_path / "exports")
    message = str(error.value)
    assert "answered 500 (importing tasks)" in message and "after 3 tries" in message and "\n" not in message
    assert "at least 2 new tasks imported: run the same command again" in message
    rerun = push_tasks(
        articles, "news", batch_size=2, client=client_for(fake), exports_dir=tmp_path / "exports"
    )
    assert (rerun.created, rerun.existing) == (4, 2) and len(set(fake.task_keys(project))) == 6


def test_push_cli_dry_run_needs_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    articles = write_articles(tmp_path / "articles.jsonl", 5)
    output = tmp_path / "tasks.json"
    runner = CliRunner()
    result = runner.invoke(
        app, ["push", str(articles), "--rules", "--limit", "3", "--dry-run", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output.startswith("wrote 3 tasks with rules-1 pre-annotations")
        and str(output) in result.output
    )
    tasks = json.loads(output.read_text(encoding="utf-8"))
    assert len(tasks) == 3 and all(task["predictions"][0]["result"] for task in tasks)
    plain = runner.invoke(app, ["push", str(articles), "--dry-run", "-o", str(output)])
    assert "no pre-annotations" in plain.output and all(
        "predictions" not in t for t in json.loads(output.read_text())
    )
    for args, message in (
        (["--dry-run"], "--dry-run needs --output"),
        (["-o", str(output)], "--output goes with --dry-run"),
        ([], "--project NAME is required"),
        (
            ["--project", "p", "--rules", "--predictions", "runs:/x/model"],
            "choose one source of pre-annotations",
        ),
    ):
        # Options that do not go together are a usage mistake: exit 2, before the library runs.
        refused = runner.invoke(app, ["push", str(articles), *args])
        lines = refused.output.strip().splitlines()
        assert (
            refused.exit_code == 2
            and len(lines) == 1
            and lines[0].startswith("error: ")
            and message in lines[0]
        )


# ---- init ------------------------------------------------------------------------------------------------


def test_init_creates_then_leaves_alone_then_refuses_an_orphaning_change(
    fake: FakeLabelStudio, tmp_path: Path
) -> None:
    created = init_project("news", client=client_for(fake))
    assert created.action == "created" and "Annotator guidelines" in fake.projects[1]["expert_instruction"]
    assert init_project("news", client=client_for(fake)).action == "unchanged"
    no_guidelines = init_project("news", guidelines=tmp_path / "none.md", client=client_for(fake))
    assert no_guidelines.action == "updated" and no_guidelines.guidelines is None
    schema = tmp_path / "schema.toml"
    schema.write_text(Path("annotations/schema.toml").read_text().replace('value = "LOC"', 'value = "PLACE"'))
    fake.refuse_config = "These labels still exist in annotations or drafts:\nLOC (3 annotations)"
    with pytest.raises(
        ToolkitError, match=r"refused, nothing changed: These labels still exist .* LOC \(3 annotations\)"
    ):
        init_project("news", schema_path=schema, client=client_for(fake))
    assert 'value="LOC"' in fake.projects[1]["label_config"]


def test_init_cli_takes_the_guidelines_given(
    fake: FakeLabelStudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.labelstudio.project as project_module

    monkeypatch.setattr(project_module, "connect", lambda: client_for(fake))
    guidelines = tmp_path / "short.md"
    guidelines.write_text("# Short guide\n\nLabel **every** amount.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["labelstudio", "init", "--project", "news", "--guidelines", str(guidelines)]
    )
    assert result.exit_code == 0 and f"guidelines from {guidelines}" in result.output, result.output
    assert "<strong>every</strong>" in fake.projects[1]["expert_instruction"]


# ---- pull ------------------------------------------------------------------------------------------------


def test_the_real_export_parses_with_every_annotator(tmp_path: Path) -> None:
    result = pull(file=REAL_EXPORT, exports_dir=tmp_path)
    report = result.report
    assert (report.tasks, report.annotations, report.kept, report.cancelled, report.bad_spans) == (
        2,
        4,
        3,
        1,
        0,
    )
    # No title given: the folder is named after the project id the export's tasks carry.
    assert result.written and result.path.parent == result.folder == tmp_path / "project-2-p2"
    assert json.loads(result.path.read_text(encoding="utf-8")) == json.loads(
        REAL_EXPORT.read_text(encoding="utf-8")
    )


def test_pull_never_overwrites_and_skips_unchanged(fake: FakeLabelStudio, tmp_path: Path) -> None:
    fake.add_project("News Desk")
    tasks = json.loads(REAL_EXPORT.read_text(encoding="utf-8"))
    fake.export_payload = tasks
    first = pull("News Desk", exports_dir=tmp_path, client=client_for(fake))
    assert first.written and first.path.parent.name == slugify("News Desk") + "-p1" == "news-desk-p1"
    assert fake.export_requests[0]["serialization_options"] == {"predictions": {"only_id": False}}
    tasks[0]["predictions"][0]["created_ago"] = "5 minutes"  # changes on every export: not a change
    same = pull("News Desk", exports_dir=tmp_path, client=client_for(fake))
    assert not same.written and same.latest == first.path
    tasks[1]["annotations"][1]["result"] = []
    changed = pull("News Desk", exports_dir=tmp_path, client=client_for(fake))
    assert (
        changed.written and changed.path != first.path and latest_snapshot(first.path.parent) == changed.path
    )
    assert json.loads(first.path.read_text(encoding="utf-8"))[1]["annotations"][1]["result"] != []
    assert changed.report.empty == 1


def test_pull_writes_nothing_before_the_first_annotation(fake: FakeLabelStudio, tmp_path: Path) -> None:
    fake.add_project("news")
    result = pull("news", exports_dir=tmp_path, client=client_for(fake))
    assert not result.written and result.report.tasks == 0 and not any(tmp_path.iterdir())
    assert fake.export_requests[0]["task_filter_options"] == {"only_with_annotations": True}


def test_pull_cli_reports_counts(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["pull", "--file", str(REAL_EXPORT), "--exports-dir", str(tmp_path)])
    assert result.exit_code == 0 and "2 tasks, 3 annotations kept, 1 cancelled" in result.output, (
        result.output
    )
    again = CliRunner().invoke(app, ["pull", "--file", str(REAL_EXPORT), "--exports-dir", str(tmp_path)])
    assert "unchanged since" in again.output and "nothing written" in again.output
    assert len(list((tmp_path / "project-2-p2").glob("2*.json"))) == 1


# ---- the local server's credentials ----------------------------------------------------------------------


def test_credentials_are_generated_once_into_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.servers.labelstudio import load_credentials

    for name in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    env.write_text("OTHER=1")
    first = load_credentials(env)
    assert (
        set(first.generated) == {"LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_API_KEY"} and len(first.api_key) == 40
    )
    assert first.api_key not in repr(first) and first.password not in repr(first)
    assert oct(os.stat(env).st_mode & 0o777) == "0o600" and env.read_text().startswith("OTHER=1\n")
    second = load_credentials(env)
    assert (second.api_key, second.password, second.generated) == (first.api_key, first.password, ())
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-the-environment")
    assert load_credentials(env).api_key == "from-the-environment"


def test_server_refuses_a_busy_port_and_stop_without_server(tmp_path: Path) -> None:
    from toolkit.servers.labelstudio import start_server, stop_server

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "label-studio").write_text("#!/bin/sh\nexit 1\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ToolkitError, match=f"port {port} on 127.0.0.1 is already in use"):
            start_server(tmp_path / "data", port, venv=venv)
    assert not stop_server(tmp_path / "data").was_running
    with pytest.raises(ToolkitError, match="Label Studio is not installed"):
        start_server(tmp_path / "data", port, venv=tmp_path / "nowhere")


def test_a_key_straddling_the_cut_of_an_error_message_is_still_hidden():
    fake = FakeLabelStudio()
    client = client_for(fake)
    key = fake.api_key
    for padding in range(150, 260, 7):  # put the key across the 200- and 300-character cuts
        error = RuntimeError("x" * padding + key + " tail")
        described = client.describe(error, "testing")
        assert key not in described and key[:6] not in described, padding


def test_the_port_a_server_started_on_is_remembered_in_dotenv(tmp_path, monkeypatch):
    from toolkit.labelstudio.client import load_settings
    from toolkit.servers.labelstudio import _remember_port

    env = tmp_path / ".env"
    env.write_text("LABEL_STUDIO_API_KEY=abc123def456\nLABEL_STUDIO_PORT=8080\n")
    monkeypatch.delenv("LABEL_STUDIO_PORT", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    _remember_port(env, 8097)
    assert env.read_text().count("LABEL_STUDIO_PORT=") == 1
    assert load_settings(env_file=env).url == "http://127.0.0.1:8097"


# ---- what the annotator sees: guidelines, description, empty submissions, model names -------------------


class _Elements(__import__("html.parser").parser.HTMLParser):
    """Every element as (tag, attributes, text directly inside), in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict, list[str]]] = []
        self._open: list[int] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs), []))
        if tag not in ("br", "hr"):
            self._open.append(len(self.found) - 1)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.found[self._open[-1]][2].append(data)

    def tags(self, name: str) -> list[tuple[dict, str]]:
        return [(attrs, "".join(text)) for tag, attrs, text in self.found if tag == name]


GUIDE = """# Guide <script>alert('h1')</script>

<script>alert("block")</script>

1. Open the project.
2. Select the claim, then press **f**.

Later steps:

3. Submit.
4. Check <img src=x onerror=alert(1)> the list.

- an entity
- a claim

| Label | Key |
|---|---|
| ORG | `2` |
"""


def test_guidelines_render_with_lists_tables_and_raw_html_as_text() -> None:
    from toolkit.labelstudio.guidelines import GUIDELINES_CLASS, render_guidelines

    html = render_guidelines(GUIDE)
    page = _Elements(html)
    assert [tag for tag, _, _ in page.found if tag in ("script", "img")] == []
    assert '<script>alert("block")</script>' in html.replace("&lt;", "<").replace("&gt;", ">").replace(
        "&quot;", '"'
    )
    (wrapper, _), *_ = page.tags("div")
    assert wrapper == {"class": GUIDELINES_CLASS}
    # Label Studio's stylesheet removes list markers; the scoped block puts them back.
    (_, css), *_ = page.tags("style")
    assert f".{GUIDELINES_CLASS} ol {{list-style: decimal" in css
    assert f".{GUIDELINES_CLASS} ul {{list-style: disc" in css
    assert not any(char in css for char in "<>&\"'")  # what the server's sanitiser would rewrite
    lists = [attrs for tag, attrs, _ in page.found if tag in ("ol", "ul")]
    assert lists == [{}, {}, {}]  # no `start`: the server strips it
    items = page.tags("li")
    assert [text.strip() for _, text in items][:2] == ["Open the project.", "Select the claim, then press ."]
    assert items[2][0] == {"value": "3"}  # the second list still starts at 3
    assert [text for _, text in page.tags("td")] == ["ORG", ""]
    assert [text for _, text in page.tags("code")] == ["2"]


def test_init_sets_the_description_and_refuses_empty_annotations(fake: FakeLabelStudio) -> None:
    schema = load_schema(Path("annotations/schema.toml"))
    created = init_project("news", client=client_for(fake))
    project = fake.projects[created.project_id]
    assert project["enable_empty_annotation"] is False
    description = project["description"]
    assert description.startswith(schema.description) and "entity tagger" in description
    assert "Entities: PER, ORG, LOC, MONEY, PERCENT, DATE." in description
    assert "Claim status: FACT, REPORTED, SPECULATIVE, FORECAST, OPINION;" in description
    assert 'class="toolkit-guidelines"' in project["expert_instruction"]
    assert init_project("news", client=client_for(fake)).action == "unchanged"
    project.update(description="", enable_empty_annotation=True)  # edited by hand in the UI
    repaired = init_project("news", client=client_for(fake))
    assert (repaired.action, repaired.settings_changed, repaired.config_changed) == ("updated", True, False)
    assert project["description"] == description and project["enable_empty_annotation"] is False


def test_init_cli_escapes_html_in_the_guidelines(
    fake: FakeLabelStudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.labelstudio.project as project_module

    monkeypatch.setattr(project_module, "connect", lambda: client_for(fake))
    guidelines = tmp_path / "guide.md"
    guidelines.write_text(GUIDE, encoding="utf-8")
    result = CliRunner().invoke(app, ["labelstudio", "init", "-p", "news", "--guidelines", str(guidelines)])
    assert result.exit_code == 0, result.output
    sent = fake.projects[1]["expert_instruction"]
    assert "<script" not in sent and "<img" not in sent
    assert "&lt;script&gt;alert(&quot;block&quot;)&lt;/script&gt;" in sent


@pytest.mark.parametrize(
    ("label", "alias"),
    [
        ("toolkit-claims v3", "claims v3"),
        ("rules-1", "rules v1"),
        ("run 1a2b3c4d", "run 1a2b3c4d"),
        ("toolkit-entities v12 + toolkit-claims v3", "ent v12+cla v3"),
        ("run 1a2b3c4d + toolkit-claims v3", "run 1a2b+cla v3"),
        ("my-registered-model v2", "my-registered-model v2"),  # not ours to shorten: cut, not wrong
    ],
)
def test_predictions_carry_a_model_name_label_studio_shows_whole(label: str, alias: str) -> None:
    from toolkit.labelstudio.payloads import SHOWN_VERSION_CHARS, model_version_alias, prediction_payload

    text = "Acme rose 5%."
    prediction = ArticlePrediction("a", [PredictedSpan("entities", "PERCENT", 10, 12, "5%", 0.9)], label, 0.9)
    assert prediction_payload(article("a", text), prediction)["model_version"] == alias
    assert model_version_alias(alias) == alias
    assert len(alias) <= SHOWN_VERSION_CHARS or label.startswith("my-")


def test_predictions_sent_under_the_full_name_before_still_count(
    fake: FakeLabelStudio, tmp_path: Path
) -> None:
    fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 3)
    first = push_tasks(articles, "news", predictor=RULES, client=client_for(fake))
    assert first.created == 3 and {p["model_version"] for p in fake.predictions} == {"rules v1"}
    for prediction in fake.predictions:
        prediction["model_version"] = "rules-1"  # as toolkit export wrote it before the alias
    again = push_tasks(articles, "news", predictor=RULES, client=client_for(fake))
    assert (again.predictions_added, again.predictions_present, len(fake.predictions)) == (0, 3, 3)


# ---- active learning and cue explanations ------------------------------------------------------------------


def crafted_selector(unsure: dict[str, float], strategy: str = "uncertainty"):
    """A selector like toolkit.predict.active_selector, with each article's sentence probabilities given."""
    import numpy as np

    from toolkit.training.select import rank

    def select(candidates, limit):
        probabilities = [np.array([[1 - unsure[a.id], unsure[a.id]]]) for a in candidates]
        picks = rank(probabilities, strategy, [a.text for a in candidates], limit)
        return [
            (candidates[p.index], {"al_score": round(p.score, 4), "al_strategy": strategy, "al_rank": p.rank})
            for p in picks
        ]

    return select


def test_selected_push_skips_articles_the_project_holds_before_counting(
    fake: FakeLabelStudio, tmp_path: Path
) -> None:
    project = fake.add_project("news")
    articles = write_articles(tmp_path / "articles.jsonl", 6)
    exports = tmp_path / "exports"
    push_tasks(articles, "news", limit=2, client=client_for(fake), exports_dir=exports)  # a0, a1 held
    unsure = {"a0": 0.49, "a1": 0.48, "a2": 0.1, "a3": 0.4, "a4": 0.3, "a5": 0.2}
    result = push_tasks(
        articles,
        "news",
        predictor=RULES,
        selector=crafted_selector(unsure),
        limit=2,
        client=client_for(fake),
        exports_dir=exports,
    )
    assert (result.skipped, result.articles, result.created, result.existing) == (2, 2, 2, 0)
    sent = {
        task["data"]["article_id"]: task["data"] for task in fake.tasks.values() if "al_score" in task["data"]
    }
    assert sorted(sent) == ["a3", "a4"]  # the two least sure that were not there yet
    assert (sent["a3"]["al_score"], sent["a3"]["al_rank"], sent["a3"]["al_strategy"]) == (
        0.4,
        1,
        "uncertainty",
    )
    assert sent["a4"]["al_rank"] == 2 and len(fake.task_keys(project)) == 4
    again = push_tasks(
        articles,
        "news",
        selector=crafted_selector(unsure),
        limit=5,
        client=client_for(fake),
        exports_dir=exports,
    )
    assert (again.skipped, again.created) == (4, 2)  # only a5 and a2 were left


def test_the_score_is_in_the_dry_run_tasks_too(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles.jsonl", 4)
    output = tmp_path / "tasks.json"
    unsure = {"a0": 0.1, "a1": 0.3, "a2": 0.2, "a3": 0.45}
    result = push_tasks(articles, "", selector=crafted_selector(unsure, "margin"), limit=3, output=output)
    tasks = json.loads(output.read_text(encoding="utf-8"))
    assert result.articles == 3
    assert [t["data"]["article_id"] for t in tasks] == ["a3", "a1", "a2"]
    assert [t["data"]["al_strategy"] for t in tasks] == ["margin"] * 3
    assert tasks[0]["data"]["al_score"] == pytest.approx(1 - (0.55 - 0.45))


def test_select_cli_needs_a_model_and_a_known_strategy(tmp_path: Path) -> None:
    articles = write_articles(tmp_path / "articles.jsonl", 2)
    runner = CliRunner()
    for args, message in (
        (["-p", "p", "--select", "uncertainty"], "--select ranks by a claims model"),
        (["-p", "p", "--rules", "--select", "margin"], "--select ranks by a claims model"),
        (["-p", "p", "--predictions", "runs:/x/model", "--select", "random"], "'random' is not one of"),
        (["-p", "p", "--predictions", "runs:/x/model", "--limit-sentences", "5"], "is a budget for --select"),
    ):
        refused = runner.invoke(app, ["push", str(articles), *args])
        assert refused.exit_code == 2 and message in refused.output, refused.output


CUE_TEXT = "Globex may buy Initech, people familiar with the talks said. Acme shares rose 4% on Tuesday."


def test_rule_pre_annotations_explain_a_status_with_cue_regions() -> None:
    schema = load_schema(Path(__file__).resolve().parents[1] / "annotations" / "schema.toml")
    doc = Article("c", None, CUE_TEXT, "en", text_hash(CUE_TEXT), "t", [(0, 60), (61, len(CUE_TEXT))], {})
    (prediction,) = pre_annotations([doc], schema, rules=True)
    claims = {(s.label, s.text[:6]) for s in prediction.spans if s.group == "claims"}
    cues = [(s.label, s.text) for s in prediction.spans if s.group == "cues"]
    assert claims == {("SPECULATIVE", "Globex"), ("FACT", "Acme s")}
    # every cue of the lexicon in the claim, none in the FACT sentence
    assert cues == [("HEDGE", "may"), ("HEDGE", "people familiar with"), ("ATTRIBUTION", "said")]
    assert check_predictions([doc], [prediction], schema) == len(prediction.spans)
    payload = build_tasks([doc], [prediction])[0]["predictions"][0]["result"]
    assert {r["from_name"] for r in payload} == {"entities", "claims", "cues"}


def test_model_pre_annotations_get_cue_regions_scored_as_their_claim(tmp_path: Path) -> None:
    from toolkit.predict import with_cue_regions

    doc = Article("c", None, CUE_TEXT, "en", text_hash(CUE_TEXT), "t", [(0, 60), (61, len(CUE_TEXT))], {})
    spans = [
        PredictedSpan("claims", "REPORTED", 0, 60, CUE_TEXT[:60], 0.7),
        PredictedSpan("claims", "FACT", 61, len(CUE_TEXT), CUE_TEXT[61:], 0.9),
    ]
    (explained,) = with_cue_regions([doc], [ArticlePrediction("c", spans, "toolkit-claims v1", 0.8)])
    cues = [(s.label, s.text, s.score) for s in explained.spans if s.group == "cues"]
    assert cues == [
        ("HEDGE", "may", 0.7),
        ("HEDGE", "people familiar with", 0.7),
        ("ATTRIBUTION", "said", 0.7),
    ]
    assert explained.score == 0.8
    # A schema without a cues group gets none: the server would refuse nothing, but annotators would see junk.
    text = (Path(__file__).resolve().parents[1] / "annotations" / "schema.toml").read_text(encoding="utf-8")
    (tmp_path / "schema.toml").write_text(
        text[: text.index("\n# Regions that explain")] + "\n", encoding="utf-8"
    )
    (plain,) = pre_annotations([doc], load_schema(tmp_path / "schema.toml"), rules=True)
    assert {s.group for s in plain.spans} == {"entities", "claims"}
