"""What a lead sees in the review project, in headless Chromium: the reason as a Data Manager column, and each
annotator's work as a prediction tab named after the annotator."""

from __future__ import annotations

import time

import pytest
from ls_helpers import Chromium, LiveServer
from test_labelstudio_browser import browser, screenshot  # noqa: F401 - the fixture, shared
from typer.testing import CliRunner

from toolkit.cli import app

pytestmark = pytest.mark.integration

TEXT = "Acme a publié ses comptes. Le groupe va racheter Globex, selon Reuters."


def _claim(label: str, start: int, end: int) -> dict:
    value = {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]}
    return {"id": f"c{start}", "from_name": "claims", "to_name": "text", "type": "labels", "value": value}


def test_the_lead_sees_both_annotators_and_the_reason(ls_env: LiveServer, browser: Chromium) -> None:  # noqa: F811
    assert CliRunner().invoke(app, ["labelstudio", "init", "--project", "lead view"]).exit_code == 0
    sdk = ls_env.sdk()
    project = next(p for p in sdk.projects.list(title="lead view") if p.title == "lead view")
    data = {"text": TEXT, "article_id": "lead-1", "lang": "fr", "sentences": [[0, 26], [27, len(TEXT)]]}
    (task_id,) = sdk.projects.import_tasks(
        id=project.id, request=[{"data": data}], return_task_ids=True
    ).task_ids
    other = sdk.users.create(username="other", email="other@toolkit.test", password="not-used-1234")
    me = sdk.users.whoami().id
    sdk.annotations.create(id=task_id, result=[_claim("FACT", 0, 26), _claim("REPORTED", 27, len(TEXT))])
    sdk.annotations.create(
        id=task_id, result=[_claim("FACT", 0, 26), _claim("FORECAST", 27, len(TEXT))], completed_by=other.id
    )
    sent = CliRunner().invoke(app, ["agreement", "--project", "lead view", "--adjudicate"])
    assert "1 new adjudication task" in sent.output, sent.output
    review = next(p for p in sdk.projects.list() if p.title == "lead view · review")
    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{review.id}/data")
    browser.wait_for("document.body.innerText.includes('1 sentence disputed')")
    # The reason is a column in view, beside the text, not past the right edge of the table.
    in_view = """(() => {
      const cell = [...document.querySelectorAll('*')].find(e => !e.children.length && e.textContent.trim() === 'reason');
      return !!cell && cell.getBoundingClientRect().right < window.innerWidth;
    })()"""
    assert browser.evaluate(in_view)
    screenshot(browser, "ls-review-data-manager.png")
    (task,) = sdk.tasks.list(project=review.id, fields="all")
    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{review.id}/data?task={task.id}")
    browser.wait_for(
        f"document.body.innerText.includes('annotator {me}') && "
        f"document.body.innerText.includes('annotator {other.id}') && document.body.innerText.includes('Globex')"
    )
    time.sleep(1.5)  # the editor fades in the selected prediction
    screenshot(browser, "ls-review-adjudication.png")
