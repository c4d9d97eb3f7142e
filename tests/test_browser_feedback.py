"""In a real headless Chromium: a member marks an answer not helpful with a comment, staff see it in
Insights and turn it into an eval question, and `eval --qa … --compare` scores that question."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import chromium
import pytest
from playwright.sync_api import sync_playwright

from assistant.app import build_app, launch
from assistant.cli import main
from assistant.evaluate import load_qa
from assistant.net import free_port
from assistant.usage_log import UsageLog
from conftest import ROOT, private_assistant

ARTIFACTS = ROOT / "test-artifacts"
STAFF, MEMBER = ("boss", "b0ss-pass"), ("member", "m3mber-pass")
QUESTION = "Who was re-elected Party Treasurer?"


@pytest.fixture(scope="module")
def logged_app(corpus_copy, index_dir, index, embedder, tmp_path_factory):
    """The app over a private copy of the corpus and index, logging to its own data folder."""
    folder = tmp_path_factory.mktemp("browser-feedback")
    assistant = private_assistant(folder, corpus_copy, index_dir, embedder)
    usage = UsageLog(folder / "data")
    staff = ":".join(STAFF)
    demo = build_app(assistant, staff, usage, eval_file=folder / "eval" / "from-members.jsonl")
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=":".join(MEMBER), staff=staff, block=False)
    yield url, folder, usage
    demo.close()
    usage.close()


def _table_has(page, table: str, text: str, present: bool = True) -> None:
    page.wait_for_function("([id, text, present]) => document.querySelector(id).innerText.includes(text) === present",
                           arg=[table, text, present], timeout=30_000)


def test_member_marks_an_answer_not_helpful_staff_see_it_and_export_it_and_eval_scores_it(logged_app, capsys):
    url, folder, usage = logged_app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = chromium.launch(p)
        member = chromium.signed_in_page(browser, url, MEMBER)
        assert member.get_by_role("tab", name="Insights").count() == 0  # members never see the tab
        member.fill("#question textarea", QUESTION)
        member.click("#ask")
        member.wait_for_function("() => document.querySelector('#chat').innerText.includes('Dianna Holland')",
                                 timeout=60_000)
        member.get_by_role("button", name="Dislike").last.click()
        member.wait_for_selector("#feedback-comment", state="visible", timeout=10_000)
        assert "recorded as not helpful" in member.inner_text("#feedback-status")
        member.get_by_label("wrong meeting").check()
        member.fill("#feedback-words textarea", "I meant the 2014 treasurer")
        member.click("#feedback-send")
        member.wait_for_function("() => document.querySelector('#feedback-status').innerText"
                                 ".includes('your comment was recorded')", timeout=10_000)
        member.screenshot(path=str(ARTIFACTS / "feedback-comment.png"), full_page=True)

        staff = chromium.signed_in_page(browser, url, STAFF)
        staff.get_by_role("tab", name="Insights").click()
        _table_has(staff, "#insights-not-helpful", "wrong meeting: I meant the 2014 treasurer")
        _table_has(staff, "#insights-not-helpful", QUESTION)
        assert "1 question" in staff.inner_text("#insights-summary")
        staff.screenshot(path=str(ARTIFACTS / "insights.png"), full_page=True)

        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
        staff.fill("#insights-from textarea", tomorrow)
        staff.click("#insights-show")
        _table_has(staff, "#insights-not-helpful", QUESTION, present=False)  # the date filter
        staff.fill("#insights-from textarea", "")
        staff.click("#insights-show")
        _table_has(staff, "#insights-not-helpful", QUESTION)

        staff.click("#export-which input")
        staff.get_by_role("option", name=QUESTION, exact=False).click()
        staff.get_by_label("Dianna Holland was congratulated", exact=False).check()
        staff.click("#export")
        staff.wait_for_function("() => document.querySelector('#export-status').innerText.includes('Added')",
                                timeout=30_000)
        staff.screenshot(path=str(ARTIFACTS / "insights-export.png"), full_page=True)
        browser.close()

    (asked,) = usage.questions()
    assert asked.helpful is False and asked.comment == "wrong meeting: I meant the 2014 treasurer"
    eval_file = folder / "eval" / "from-members.jsonl"
    (item,) = load_qa(eval_file)
    assert item.id == f"m-{asked.id}" and item.question == QUESTION and item.meeting_date == "2012-05-29"

    capsys.readouterr()
    assert main(["eval", "--qa", str(eval_file), "--compare", "--json", "--corpus", str(folder / "corpus"),
                 "--index", str(folder / "index")]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert set(scored) == {"bm25", "dense", "fixed-1000", "full"}
    assert all(isinstance(metrics["hit@10"], float) for metrics in scored.values())
    assert scored["full"]["hit@1"] == 1.0
