"""Staff add a report in a real headless Chromium, and the chat answers from it without a restart."""

from __future__ import annotations

import time

import chromium
import pytest
from playwright.sync_api import sync_playwright

from assistant.app import build_app, launch
from assistant.net import free_port
from conftest import ROOT, private_assistant

ARTIFACTS = ROOT / "test-artifacts"
STAFF, MEMBER = ("boss", "b0ss-pass"), ("member", "m3mber-pass")


@pytest.fixture(scope="module")
def staff_app(corpus_copy, index_dir, index, embedder, tmp_path_factory):
    """The app over a private copy of the corpus and its built index, with a member and a staff login."""
    folder = tmp_path_factory.mktemp("browser-add")
    assistant = private_assistant(folder, corpus_copy, index_dir, embedder)
    staff = ":".join(STAFF)
    demo = build_app(assistant, staff)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=":".join(MEMBER), staff=staff, block=False)
    yield url, assistant
    demo.close()


def _answer_text(page) -> str:
    return page.locator("#chat .message").last.inner_text()


def test_staff_upload_a_page_confirm_it_and_the_chat_answers_from_it(staff_app):
    url, assistant = staff_app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = chromium.launch(p)
        member = chromium.signed_in_page(browser, url, MEMBER)
        assert member.get_by_role("tab", name="Add a report").count() == 0  # members never see the tab

        page = chromium.signed_in_page(browser, url, STAFF)
        page.get_by_role("tab", name="Add a report").click()
        page.set_input_files("#add-file input[type=file]", str(ROOT / "tests/fixtures/formats/labourlist-style.html"))
        page.wait_for_function("() => document.querySelector('#add-preview textarea').value.includes('21 March 2017')",
                               timeout=60_000)
        preview = page.input_value("#add-preview textarea")
        assert "left out reader comments" in preview and "Leader's report" in preview
        assert page.input_value("#add-date textarea") == "2017-03-21"
        page.screenshot(path=str(ARTIFACTS / "add-report-preview.png"), full_page=True)

        confirmed = time.perf_counter()
        page.click("#add-confirm")
        page.wait_for_function("() => document.querySelector('#add-status').innerText.includes('Added')",
                               timeout=120_000)
        page.get_by_role("tab", name="Ask").click()
        page.fill("#question textarea", "Where will annual conference be held in 2017?")
        page.click("#ask")
        page.wait_for_function("() => [...document.querySelectorAll('#chat .message')].some("
                               "m => m.innerText.includes('Brighton'))", timeout=60_000)
        seconds = time.perf_counter() - confirmed
        reply = _answer_text(page)
        page.screenshot(path=str(ARTIFACTS / "add-report-answered.png"), full_page=True)
        browser.close()
    print(f"\nconfirm → answer from the new report: {seconds:.1f} s")
    assert "Brighton" in reply and "21 March 2017" in reply
    assert "labourlist-style.html" in assistant.reports
