"""What the annotator sees: Label Studio's own editor, in headless Chromium, on a text with emoji and accents.

This is the check behind OFFSET_UNIT = "codepoint" (toolkit/labelstudio/tasks.py): the pre-annotations that
`toolkit export` sends highlight exactly their words after emoji, and a region selected by hand is saved with
the offsets Python computes. If a Label Studio upgrade went back to UTF-16 offsets, this test fails.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from ls_helpers import CHROMIUM, Chromium, LiveServer
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.records import Article, text_hash

pytestmark = pytest.mark.integration

TEXT = "🚀 Zoé Durand 😀😀 : Écovia a levé 12 M€ jeudi, soit 35 % de plus, selon Castelmar."
ORG_SELECTED = (
    "[...document.querySelectorAll('.lsf-label_selected')].some(e => e.textContent.trim() === 'ORG')"
)
HIGHLIGHTS = "JSON.stringify([...document.querySelectorAll('.htx-highlight')].map(e => e.textContent))"
SELECT_AND_RELEASE = """(() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, last = null;
  while ((node = walker.nextNode())) if (node.data.includes(%(word)s) && node.data.includes('Écovia')) last = node;
  if (!last) return null;
  const at = last.data.indexOf(%(word)s), range = document.createRange();
  range.setStart(last, at);
  range.setEnd(last, at + %(word)s.length);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const selected = selection.toString();
  last.parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true, cancelable: true}));
  return selected;
})()"""
CLICK = """(() => {
  const found = [...document.querySelectorAll(%(selector)s)].find(e => e.textContent.trim() === %(text)s);
  if (found) found.click();
  return !!found;
})()"""


def session_cookie(server: LiveServer) -> str:
    import httpx

    with httpx.Client(base_url=server.url, follow_redirects=False) as http:
        http.get("/user/login/")
        form = {
            "email": server.username,
            "password": server.password,
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
        }
        answer = http.post("/user/login/", data=form, headers={"Referer": f"{server.url}/user/login/"})
        assert answer.status_code == 302, answer.text[:200]
        return http.cookies["sessionid"]


@pytest.fixture
def browser(label_studio: LiveServer, tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make browser` installs Debian's chromium")
    chromium = Chromium(tmp_path / "profile")
    try:
        chromium.send("Network.enable", session=True)
        host = label_studio.url.split("//", 1)[1].split(":")[0]
        chromium.send("Network.setCookie", session=True, name="sessionid", value=session_cookie(label_studio),
                      domain=host, path="/")  # fmt: skip
        yield chromium
    finally:
        chromium.close()


def pushed_with_rules(server: LiveServer, tmp_path: Path, article_id: str, title: str) -> tuple:
    """(project, task) after `toolkit labelstudio init` and `toolkit export --rules` of one article of TEXT."""
    article = Article(article_id, "Écovia", TEXT, "fr", text_hash(TEXT), "test", [(0, len(TEXT))])
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps(article.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["labelstudio", "init", "--project", title]).exit_code == 0
    exported = runner.invoke(app, ["export", str(articles), "--project", title, "--rules"])
    assert exported.exit_code == 0, exported.output
    sdk = server.sdk()
    project = next(p for p in sdk.projects.list(title=title) if p.title == title)
    (task,) = sdk.tasks.list(project=project.id, fields="all")
    return project, task


def test_predictions_and_hand_made_regions_use_python_offsets(
    ls_env: LiveServer, browser: Chromium, tmp_path: Path
):
    project, task = pushed_with_rules(ls_env, tmp_path, "emoji-1", "browser")
    sdk = ls_env.sdk()
    sent = sorted(
        region["value"]["text"] for region in task.predictions[0].result if region["from_name"] == "entities"
    )
    assert {"12 M€", "jeudi", "35 %"} <= set(sent)

    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{project.id}/data?task={task.id}")
    # Every entity region must show exactly its own characters (the claim region around them shows the rest).
    expected = json.dumps(sent)
    found = browser.wait_for(
        f"(() => {{ const shown = {HIGHLIGHTS}; return {expected}.every(t => JSON.parse(shown).includes(t)) && shown; }})()"
    )
    assert set(sent) <= set(json.loads(found)), found

    (blank,) = sdk.projects.import_tasks(
        id=project.id, request=[{"data": {"text": TEXT}}], return_task_ids=True
    ).task_ids
    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{project.id}/data?task={blank}")
    browser.wait_for(
        "document.body.innerText.includes('Castelmar') && document.body.innerText.includes('ORG')"
    )
    # As an annotator does: pick the ORG label, select the word, release the mouse. The editor may still be
    # wiring its handlers when the text first shows, so try again until the region appears.
    for _ in range(10):
        if not browser.evaluate(ORG_SELECTED):
            browser.evaluate(CLICK % {"selector": json.dumps(".lsf-label__text"), "text": json.dumps("ORG")})
        assert browser.evaluate(SELECT_AND_RELEASE % {"word": json.dumps("Castelmar")}) == "Castelmar"
        try:
            browser.wait_for(f"{HIGHLIGHTS}.includes('Castelmar')", timeout=3)
            break
        except TimeoutError:
            continue
    else:
        pytest.fail("the editor never made a region from the selection")
    browser.wait_for(CLICK % {"selector": json.dumps("button"), "text": json.dumps("Submit")})
    saved = []
    for _ in range(100):
        saved = [a.result for a in sdk.annotations.list(id=blank) if a.result]
        if saved:
            break
        time.sleep(0.2)
    ((region,),) = saved
    start = TEXT.index("Castelmar")
    assert (region["value"]["start"], region["value"]["end"]) == (start, start + len("Castelmar"))
    assert region["value"]["labels"] == ["ORG"]


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SENTENCE = "Castelmar a levé 12 M€ jeudi, selon Zoé."
GUIDE = """# Test guidelines

1. Read the whole article.
2. **Claims first**: select the sentence, press its key.
3. Submit.

- Entities never overlap.
- Claims never nest.

A guidelines file with markup in it: <script>window.pwned = true</script> stays text.
"""
SELECT_ALL_OF = """(() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, last = null;
  while ((node = walker.nextNode())) if (node.data === %(text)s) last = node;
  if (!last) return null;
  const range = document.createRange();
  range.setStart(last, 0);
  range.setEnd(last, last.data.length);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const selected = selection.toString();
  last.parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true, cancelable: true}));
  return selected;
})()"""
SUBMIT_STATE = (
    "(() => { const b = [...document.querySelectorAll('button')].find(e => e.textContent.trim() === 'Submit');"
    " return b ? (b.disabled ? 'disabled' : 'enabled') : null; })()"
)
GUIDELINES_SHOWN = """(() => {
  const shown = document.querySelector('.lsf-modal-ls__body .toolkit-guidelines');
  if (!shown) return null;
  const lists = [...shown.querySelectorAll('ol, ul')].map(list => ({
    tag: list.tagName.toLowerCase(),
    marker: getComputedStyle(list).listStyleType,
    items: [...list.children].filter(li => li.tagName === 'LI' && getComputedStyle(li).display === 'list-item')
      .map(li => li.textContent.trim()),
  }));
  return JSON.stringify({lists, text: shown.innerText, scripts: shown.querySelectorAll('script').length,
                         pwned: window.pwned === true});
})()"""


def screenshot(browser: Chromium, name: str) -> Path:
    import base64

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    data = browser.send("Page.captureScreenshot", session=True, format="png")["data"]
    path.write_bytes(base64.b64decode(data))
    return path


def saved_results(sdk, task_id: int, wait: float) -> list:
    deadline = time.monotonic() + wait
    while True:
        saved = [a.result for a in sdk.annotations.list(id=task_id)]
        if saved or time.monotonic() > deadline:
            return saved
        time.sleep(0.2)


def test_the_editor_refuses_an_empty_submit_and_shows_the_guidelines_with_their_lists(
    ls_env: LiveServer, browser: Chromium, tmp_path: Path
):
    from toolkit.labelstudio.guidelines import render_guidelines

    guidelines = tmp_path / "guidelines.md"
    guidelines.write_text(GUIDE, encoding="utf-8")
    runner = CliRunner()
    init = runner.invoke(
        app, ["labelstudio", "init", "--project", "guidelines", "--guidelines", str(guidelines)]
    )
    assert init.exit_code == 0, init.output
    sdk = ls_env.sdk()
    project = next(p for p in sdk.projects.list(title="guidelines") if p.title == "guidelines")
    project = sdk.projects.get(project.id)
    # The server's sanitiser kept our HTML byte for byte (a second init would otherwise always "update").
    assert project.expert_instruction == render_guidelines(GUIDE)
    assert project.enable_empty_annotation is False
    assert "Claim status: FACT, REPORTED" in project.description
    again = runner.invoke(
        app, ["labelstudio", "init", "--project", "guidelines", "--guidelines", str(guidelines)]
    )
    assert again.output.startswith("unchanged project 'guidelines'"), again.output

    (task,) = sdk.projects.import_tasks(
        id=project.id, request=[{"data": {"text": SENTENCE}}], return_task_ids=True
    ).task_ids
    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{project.id}/data?task={task}")
    browser.wait_for(f"document.body.innerText.includes({json.dumps(SENTENCE)}) && {SUBMIT_STATE}")

    # An empty annotation: Submit is disabled, and Ctrl+Enter saves nothing either. (The editor may render its
    # buttons twice while it loads: wait for the state rather than read it once.)
    browser.wait_for(f"{SUBMIT_STATE} === 'disabled'", timeout=20)
    browser.evaluate(CLICK % {"selector": json.dumps("button"), "text": json.dumps("Submit")})
    for kind in ("keyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", session=True, type=kind, key="Enter", code="Enter",
                     modifiers=2, windowsVirtualKeyCode=13)  # fmt: skip
    time.sleep(0.5)
    screenshot(browser, "ls-empty-submit-refused.png")
    assert saved_results(sdk, task, wait=2) == []

    # A claim region makes it submittable.
    for _ in range(10):
        if not browser.evaluate(
            "[...document.querySelectorAll('.lsf-label_selected')].some(e => e.textContent.trim() === 'FACT')"
        ):
            browser.evaluate(CLICK % {"selector": json.dumps(".lsf-label__text"), "text": json.dumps("FACT")})
        assert browser.evaluate(SELECT_ALL_OF % {"text": json.dumps(SENTENCE)}) == SENTENCE
        try:
            browser.wait_for(f"{SUBMIT_STATE} === 'enabled'", timeout=3)
            break
        except TimeoutError:
            continue
    else:
        pytest.fail("the editor never made a claim region from the selection")
    screenshot(browser, "ls-claim-region-submittable.png")
    browser.evaluate(CLICK % {"selector": json.dumps("button"), "text": json.dumps("Submit")})
    ((region,),) = saved_results(sdk, task, wait=20)
    assert region["from_name"] == "claims" and region["value"]["labels"] == ["FACT"]
    assert (region["value"]["start"], region["value"]["end"]) == (0, len(SENTENCE))

    # The Instructions modal shows the guidelines' lists with their numbers and bullets, and the <script> as text.
    browser.wait_for(CLICK % {"selector": json.dumps("button"), "text": json.dumps("Instructions")})
    shown = json.loads(browser.wait_for(GUIDELINES_SHOWN))
    assert shown["lists"] == [
        {
            "tag": "ol",
            "marker": "decimal",
            "items": [
                "Read the whole article.",
                "Claims first: select the sentence, press its key.",
                "Submit.",
            ],
        },
        {"tag": "ul", "marker": "disc", "items": ["Entities never overlap.", "Claims never nest."]},
    ]
    assert "<script>window.pwned = true</script> stays text." in shown["text"]
    assert (shown["scripts"], shown["pwned"]) == (0, False)
    screenshot(browser, "ls-guidelines-modal.png")


def test_the_prediction_tab_shows_the_model_name_whole(ls_env: LiveServer, browser: Chromium, tmp_path: Path):
    project, task = pushed_with_rules(ls_env, tmp_path, "short-1", "names")
    assert task.predictions[0].model_version == "rules v1"
    browser.send("Page.navigate", session=True, url=f"{ls_env.url}/projects/{project.id}/data?task={task.id}")
    browser.wait_for(
        "document.body.innerText.includes('Castelmar') && document.body.innerText.includes('rules v1')"
    )
    time.sleep(1.5)  # the editor fades in the selected prediction
    screenshot(browser, "ls-prediction-name.png")
