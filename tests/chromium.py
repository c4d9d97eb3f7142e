"""Debian's Chromium for the browser tests, started the way this machine needs.

.ci/run installs it and sets NEC_REQUIRE_BROWSER=1, so that CI fails rather than skips when it is
missing. Without the background-networking flags, Chromium's own calls home are refused by the
closed network, many at a time.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not os.path.exists(CHROMIUM):
    if os.environ.get("NEC_REQUIRE_BROWSER"):
        raise RuntimeError(f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"])


def signed_in_page(browser, url: str, login: tuple[str, str]):
    """A new page past the app's login form, once the chat's question box is there."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    page.fill("input[name=username], input[type=text]", login[0])
    page.fill("input[type=password]", login[1])
    page.keyboard.press("Enter")
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page
