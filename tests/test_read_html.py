"""The HTML reader: a page saved from a news site or blog becomes the report's own text and the page's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dates import MeetingDate
from assistant.errors import IngestError
from assistant.readers import Document
from assistant.readers.html import read

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def _read(name: str) -> list[Document]:
    path = FORMATS / name
    return read(path, path.read_bytes())


@pytest.fixture(scope="module")
def page() -> Document:
    [doc] = _read("labourlist-style.html")
    return doc


def test_a_news_page_gives_one_document_with_the_pages_title_author_and_canonical_url(page):
    assert page.format == "html"
    assert page.title == "NEC report – 21 March 2017"
    assert page.author == "Jane Example"
    assert page.url == "https://labourlist.org/2017/03/nec-report-21-march-2017/"


def test_posted_is_the_publication_date_not_the_meeting_date(page):
    assert page.posted == MeetingDate(2017, 3, 23)


def test_the_reports_facts_survive_word_for_word(page):
    assert page.text.startswith("The NEC met on Tuesday 21st March 2017 at Southside")
    assert "We approved 12 new parliamentary candidates for Wales, all selected from all-women shortlists" in page.text
    assert "Membership stood at 517,000 on 1 March" in page.text


def test_headings_become_hash_lines(page):
    lines = page.text.splitlines()
    for heading in ("Leader's report", "General Secretary's report", "Selections", "Conference", "Other business"):
        assert f"## {heading}" in lines


def test_list_items_become_bullet_lines(page):
    lines = page.text.splitlines()
    assert "• a £10 an hour real living wage by 2020;" in lines
    assert "• The disputes panel reported that 41 cases were outstanding, down from 96 in January." in lines


def test_paragraphs_and_headings_are_separated_by_one_blank_line(page):
    assert "organisation committee.\n\nOn policy, he set out" in page.text
    assert "\n\n## Leader's report\n\n" in page.text
    assert "\n\n\n" not in page.text


def test_navigation_share_buttons_related_posts_comments_and_footer_are_dropped(page):
    for furniture in (
        "Donate now", "About us", "Subscribe",  # top bar and navigation
        "Share on Twitter", "WhatsApp", "Tags:",  # share buttons and tags
        "Related posts", "complaints unit", "Copeland: what went wrong",  # related posts
        "Dave Reader", "secret report", "Something is badly wrong", "Leave a Reply",  # the comment thread
        "Privacy policy", "All rights reserved", "largest independent grassroots",  # footer
    ):
        assert furniture not in page.text, furniture


def test_what_was_dropped_is_named_for_the_preview(page):
    assert {"reader comments", "navigation", "footer"} <= set(page.dropped)


def test_an_archive_page_gives_one_document_per_post_with_its_own_date_and_permalink():
    march, january = _read("blog-archive.html")
    assert (march.title, march.posted, march.url) == (
        "NEC report – 22 March 2011", MeetingDate(2011, 3, 24),
        "https://patsample.example.org/2011/03/nec-report-22-march-2011/")
    assert (january.title, january.posted, january.url) == (
        "NEC report – 25 January 2011", MeetingDate(2011, 1, 27),
        "https://patsample.example.org/2011/01/nec-report-25-january-2011/")
    assert march.author == january.author == "Pat Sample"


def test_each_archive_post_holds_its_own_report_only():
    march, january = _read("blog-archive.html")
    assert "• Candidates are in place in 94% of the wards we are contesting." in march.text.splitlines()
    assert "gained 46,000 new members" not in march.text
    assert "Ray Collins reported that the party had gained 46,000 new members" in january.text
    assert "94% of the wards" not in january.text
    for doc in (march, january):
        assert "## Other business" in doc.text.splitlines()
        for furniture in ("Recent posts", "Archives", "Older posts", "Tweet this", "Comments", "Proudly powered"):
            assert furniture not in doc.text, furniture


def test_a_paragraph_all_in_bold_is_kept_as_a_heading_and_text_is_not_markdown_escaped(tmp_path):
    data = (b"<html><head><title>NEC report</title></head><body><article><h1>NEC report</h1>"
            b"<p>The NEC met on 5 May 2015 and agreed a budget of 3 < 4 million, *provisionally*.</p>"
            b"<p><strong>Leader's report</strong></p>"
            b"<p>2. The Leader spoke about the general election result for some time.</p>"
            b"<ol><li>First point.</li><li>Second point.</li></ol></article></body></html>")
    [doc] = read(tmp_path / "page.html", data)
    lines = doc.text.splitlines()
    assert "## Leader's report" in lines
    assert "The NEC met on 5 May 2015 and agreed a budget of 3 < 4 million, *provisionally*." in lines
    assert "2. The Leader spoke about the general election result for some time." in lines
    assert ["• First point.", "• Second point."] == lines[-2:]


@pytest.mark.parametrize("data", [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj", b"Just a note, no markup.", b""])
def test_bytes_that_are_not_html_are_refused_saying_so(tmp_path, data):
    with pytest.raises(IngestError, match="not an HTML page"):
        read(tmp_path / "report.html", data)


def test_a_page_with_no_main_text_is_refused_saying_so(tmp_path):
    data = (b"<html><head><title>Home</title></head><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
            b"<footer>Copyright 2017</footer></body></html>")
    with pytest.raises(IngestError, match="no main text found on the page") as error:
        read(tmp_path / "home.html", data)
    assert error.value.path == tmp_path / "home.html"
