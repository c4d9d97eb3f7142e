"""Every member can use the app: axe-core finds no serious or critical WCAG 2.2 AA problem on the chat
with an answer or on the Decisions tab, in light and dark mode; the whole flow works from the keyboard
alone; and a phone's 390 px screen shows it all without scrolling sideways.

Needs Debian's chromium (see tests/chromium.py) and axe-core from npm, which `./nec test` installs
into the venv (NEC_AXE_CORE says where). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import chromium
import pytest
from playwright.sync_api import sync_playwright

from conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(os.environ.get("NEC_AXE_CORE") or Path(sys.prefix) / "share/axe-core/node_modules/axe-core/axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}
QUESTION = "When was the conference timetable agreed?"
BROAD_QUESTION = "anything on training?"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as p:
        browser = chromium.launch(p)
        yield browser
        browser.close()


def open_app(browser, url: str, **options):
    page = browser.new_page(**{"viewport": {"width": 1300, "height": 1000}, **options})
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


def wait_for_answer(page, before: int) -> None:
    """Until the chat holds `before` + 2 messages and the last is an answer, not 'Searching the reports…'."""
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('#chat .message');"
        " return m.length >= n + 2 && !m[m.length - 1].innerText.includes('Searching the reports'); }",
        arg=before, timeout=60_000)


def messages(page) -> int:
    return page.locator("#chat .message").count()


def ask(page, question: str) -> None:
    before = messages(page)
    page.fill("#question textarea", question)
    page.click("#ask")
    wait_for_answer(page, before)


def last_answer(page):
    return page.locator("#chat .message").last


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.2 A/AA violations on the page as it is now."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run the tests with ./nec test, which installs it"
        if os.environ.get("NEC_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']}")
        for node in v["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' > '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def assert_no_blocking_violations(page, where: str) -> None:
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"axe-core: serious or critical WCAG 2.2 AA violations on {where}:\n{report(violations)}")


def focus_by_keys(page, selector: str, key: str = "Tab", limit: int = 60) -> None:
    """Press `key` until the focused element matches `selector`, as a keyboard user moves through the page."""
    for _ in range(limit + 1):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {selector} in {limit} presses; focus is on "
                         + page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)"))


def visible_within_width(page, locator, width: int) -> None:
    """Shown, and wholly inside the screen's width once scrolled to (vertical scrolling is fine)."""
    locator.scroll_into_view_if_needed()
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"{locator} sticks out: {box}"


def answer_with_context_open(browser, server, scheme: str, question: str):
    """The page with `question` answered and a quote's context opened, and the answer: the state axe checks."""
    page = open_app(browser, server, color_scheme=scheme)
    ask(page, question)
    answer = last_answer(page)
    assert answer.locator(".citation").count() > 0
    answer.locator(".citation summary").last.click()
    assert answer.locator(".citation details[open] mark").first.is_visible()
    return page, answer


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_the_chat_with_an_answer_and_its_context_open(browser, server, scheme):
    page, _ = answer_with_context_open(browser, server, scheme, QUESTION)
    assert_no_blocking_violations(page, f"the chat with an answer ({scheme} mode)")
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_a_broad_answer_read_as_a_timeline(browser, server, scheme):
    page, answer = answer_with_context_open(browser, server, scheme, BROAD_QUESTION)
    headings = answer.locator("h3.meeting")
    assert headings.count() >= 2 and headings.first.is_visible()  # a heading a meeting, oldest first
    assert_no_blocking_violations(page, f"the chat with a broad question's overview ({scheme} mode)")
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_the_decisions_tab(browser, server, scheme):
    page = open_app(browser, server, color_scheme=scheme)
    page.click("#decisions-tab-button")
    page.locator("#decisions").get_by_text("1 November 2011").first.wait_for(timeout=30_000)
    assert_no_blocking_violations(page, f"the Decisions tab ({scheme} mode)")
    page.close()


def test_the_whole_flow_works_from_the_keyboard_alone(browser, server):
    page = open_app(browser, server)
    # Ask: the question box takes focus, Enter sends.
    focus_by_keys(page, "#question textarea")
    page.keyboard.type(QUESTION)
    before = messages(page)
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    answer = last_answer(page)
    assert "16 July 2013" in answer.inner_text()

    # Read: back up from the question box to the answer's "Show in context" and open it with Enter.
    focus_by_keys(page, "#chat .citation summary", "Shift+Tab")
    summary = page.evaluate_handle("document.activeElement")
    assert page.evaluate("s => s.innerText", summary).startswith("Show in context")
    page.keyboard.press("Enter")
    assert page.evaluate("s => s.parentElement.open", summary)
    assert answer.locator("details[open] mark").first.is_visible()
    page.keyboard.press("Space")  # Space folds it again, and Enter opens it once more
    assert not page.evaluate("s => s.parentElement.open", summary)
    page.keyboard.press("Enter")
    assert page.evaluate("s => s.parentElement.open", summary)

    # Filter: on to the meeting dropdown, type to narrow its list to one meeting, Enter picks it.
    focus_by_keys(page, "#meeting input")
    page.keyboard.type("2014")
    page.get_by_role("option", name="4 November 2014").wait_for()
    # The list narrows as the keys land: wait for it to settle on one meeting (it showed 5 for a moment under load).
    page.wait_for_function("() => document.querySelectorAll('[role=option]').length === 1", timeout=10_000)
    page.keyboard.press("Enter")
    page.wait_for_function(  # the typed "2014" has become the meeting's name and the list has closed
        "() => { const i = document.querySelector('#meeting input');"
        " return i.value === '4 November 2014' && i.getAttribute('aria-expanded') !== 'true'; }", timeout=10_000)

    # Ask again, from that meeting only: back to the question box, then Tab to Ask and press Space.
    focus_by_keys(page, "#question textarea", "Shift+Tab")
    assert page.input_value("#meeting input") == "4 November 2014"  # still chosen after focus has left it
    page.keyboard.type("What did the NEC decide about primaries?")
    focus_by_keys(page, "#ask")
    before = messages(page)
    page.keyboard.press("Space")
    wait_for_answer(page, before)
    cites = last_answer(page).locator(".cite").all_inner_texts()
    assert cites and all("4 November 2014" in c for c in cites), cites
    page.close()


def test_a_phone_shows_the_question_box_ask_button_and_answer_without_sideways_scrolling(browser, server):
    page = open_app(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    ask(page, QUESTION)
    answer = last_answer(page)
    answer.locator(".citation summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for part in (page.locator("#question textarea"), page.locator("#ask"),
                 answer.locator(".citation blockquote").first, answer.locator(".cite").first):
        visible_within_width(page, part, PHONE["width"])
    assert "16 July 2013" in answer.locator(".cite").first.inner_text()
    assert_no_blocking_violations(page, "the chat at 390 px")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-390px.png"), full_page=True)
    page.click("#decisions-tab-button")
    page.locator("#decisions").get_by_text("1 November 2011").first.wait_for(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_no_blocking_violations(page, "the Decisions tab at 390 px")
    page.close()
