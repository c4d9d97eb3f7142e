"""Questions a member might ask about each meeting find that meeting's passage."""

import pytest

from conftest import MEETINGS

QUESTIONS = [
    ("What was decided about how long the 2013 conference would last?", "2012-11-27", "Sunday until 3pm on the Wednesday"),
    ("How many council seats did we gain in the May 2012 local elections?", "2012-05-29", "823 council seat gains"),
    ("How much will supporters pay to vote in the London mayoral primary?", "2014-11-04", "(£3)"),
    ("How many Refounding Labour Fund bids got approved?", "2013-07-16", "We approved 27 bids"),
    ("Who sat on the taskforce reviewing the boundary proposals?", "2011-11-01", "Michael Cashman, Ann Black"),
    ("Who was re-elected as Party Treasurer?", "2012-05-29", "Dianna Holland"),
    ("What did the Blue State Digital review find?", "2013-07-16", "under-developed strategy"),
    ("What is the new volunteer management tool called?", "2012-11-27", "OneNationBuilder"),
]


@pytest.mark.parametrize(("question", "date", "evidence"), QUESTIONS)
def test_question_finds_the_right_meeting_passage(assistant, question, date, evidence):
    hits = assistant.search(question, k=3)
    assert any(h.chunk.meeting_date == date and evidence in h.chunk.text for h in hits), [
        (h.chunk.meeting_date, h.chunk.text[:60]) for h in hits]


def test_every_meeting_is_reachable(assistant):
    found = {h.chunk.source for q, _, _ in QUESTIONS for h in assistant.search(q, k=1)}
    assert found == set(MEETINGS)


@pytest.mark.parametrize("question", [
    "What did George Osborne u-turn on?",
    "Why was there a two person Rotherham shortlist?",
    "How much does LabourList ask readers to donate each month?",
])
def test_page_furniture_never_comes_back(assistant, question):
    for hit in assistant.search(question, k=10):
        for furniture in ("Osborne announces", "Daniel Speight", "Rotherham shortlist", "£10 a month", "Read more"):
            assert furniture not in hit.chunk.text


def test_a_date_in_the_question_favours_that_meeting(assistant):
    hits = assistant.search("What did Ed Miliband talk about in November 2014?", k=3)
    assert hits[0].chunk.meeting_date == "2014-11-04"


@pytest.mark.parametrize(("question", "date"), [
    ("What did Ed Miliband talk about at the last meeting?", "2014-11-04"),
    ("What did Ed Miliband talk about at the last meeting of 2012?", "2012-11-27"),
    ("What did Ed Miliband talk about at the first meeting of 2012?", "2012-05-29"),
])
def test_first_and_last_meetings_are_read_from_the_corpus(assistant, question, date):
    assert assistant.search(question, k=1)[0].chunk.meeting_date == date


def test_search_json_items_have_the_stable_fields(assistant):
    item = assistant.search("primaries", k=1)[0].to_dict()
    assert {"rank", "score", "meeting_date", "title", "section", "text", "source", "chunk_id"} <= item.keys()
    assert item["rank"] == 1


def test_reports_in_other_layouts_are_dated_and_found(corpus_copy, embedder, tmp_path):
    """Staff drop reports by other NEC members, in other layouts, into corpus/: they join the index."""
    import shutil

    from assistant.service import Assistant
    from conftest import ROOT

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    for fixture in (ROOT / "tests" / "fixtures").glob("*.*"):
        shutil.copy(fixture, corpus / fixture.name)
    assistant = Assistant.open(corpus, tmp_path / "index", embedder, log=lambda _: None)
    reports = assistant.reports
    assert reports["nec_report_ann_example_jan2015.txt"].meeting_date.iso() == "2015-01-20"  # not the posting date
    assert reports["nec_report_ann_example_jan2015.txt"].author == "Ann Example"
    assert reports["nec-mar2015-by-pat.md"].meeting_date.iso() == "2015-03"
    assert "Share this" not in reports["nec-mar2015-by-pat.md"].text

    hit = assistant.search("How many members does the party have now?", k=1)[0]
    assert hit.chunk.meeting_date == "2015-01-20" and "190,000 members" in hit.chunk.text
    hit = assistant.search("How big is the election fighting fund?", k=1)[0]
    assert hit.chunk.meeting_date == "2015-03" and "£3.5 million" in hit.chunk.text
    hit = assistant.search("Which CLP appealed against its selection timetable?", k=1)[0]
    assert hit.chunk.source == "nec-mar2015-by-pat.md" and hit.chunk.section == "SELECTIONS"
