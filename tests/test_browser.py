"""The app in a real headless Chromium: ask, see the quote and its date, open it in context; list decisions.

Needs Debian's chromium (see tests/chromium.py). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import csv

import chromium
import pytest
from playwright.sync_api import sync_playwright

from conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server)
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        browser.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .message").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('#chat .message');"
        " return m.length >= n + 2 && !m[m.length - 1].innerText.includes('Searching the reports'); }",
        arg=before, timeout=60_000)


def test_first_load_shows_examples_meetings_and_disclaimer(page):
    # The examples render after the question box: with both cores busy, the page read straight away said "Loading...".
    page.get_by_text("What did the NEC decide about primaries?").first.wait_for(timeout=60_000)
    text = page.inner_text("body")
    assert "not the official minutes" in text
    assert "16 July 2013" in page.inner_text("#meetings") and "4 November 2014" in page.inner_text("#meetings")


def test_question_shows_quote_with_its_meeting_date(page):
    ask(page, "How many Refounding Labour Fund bids were approved?")
    chat = page.inner_text("#chat")
    assert "We approved 27 bids" in chat
    assert "NEC meeting, 16 July 2013" in chat
    page.locator(".citation summary").first.click()
    mark = page.locator(".citation details[open] mark").first
    assert mark.is_visible() and mark.inner_text() in chat
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_markup_in_a_question_is_shown_as_text_never_run(page, payload):
    ask(page, f"primaries {payload}")
    assert payload in page.inner_text("#chat")
    assert page.dialogs == []
    assert page.locator("#chat img[src='x']").count() == 0


@pytest.fixture
def decisions_tab(page):
    """The Decisions tab open, and the chat's tab again afterwards for the tests that ask."""
    page.click("#decisions-tab-button")
    page.locator("#decisions").get_by_text("1 November 2011").first.wait_for(timeout=30_000)
    yield page
    page.click("#ask-tab-button")


def test_decisions_tab_filters_by_topic_and_downloads_what_it_shows(decisions_tab):
    page = decisions_tab
    total = int(page.inner_text("#decision-count").split()[0])
    page.fill("#decision-topic textarea", "London mayoral primary")
    page.press("#decision-topic textarea", "Enter")
    page.wait_for_function(  # the count and the table update separately
        "n => parseInt(document.querySelector('#decision-count').innerText) < n"
        " && !document.querySelector('#decisions').innerText.includes('1 November 2011')", arg=total, timeout=30_000)
    table = page.inner_text("#decisions")
    assert "Mayoral primary" in table and "4 November 2014" in table
    with page.expect_download() as download:
        page.click("#decision-csv")
    assert download.value.suggested_filename == "nec-decisions.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == int(page.inner_text("#decision-count").split()[0])
    assert {r["meeting_date"] for r in rows} == {"2014-11-04"} and any("Mayoral primary" in r["text"] for r in rows)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "decisions.png"), full_page=True)
