"""How answers are put together, checked on an index built with the stand-in embedder.

What is quoted, in what order, with which citation, and why nothing is: none of it depends on
which model made the vectors, so these tests build their index in well under a second.
"""

from __future__ import annotations

import pytest

from assistant.answer import Abstention
from assistant.build import build
from assistant.question import Question
from assistant.retrieve import Filters
from assistant.service import Assistant


@pytest.fixture(scope="module")
def small(corpus_copy, stand_in, tmp_path_factory) -> Assistant:
    return Assistant(build(corpus_copy, tmp_path_factory.mktemp("stand-in-index"), stand_in), stand_in)


@pytest.mark.parametrize("question", [
    "What did the NEC decide about primaries?", "Refounding Labour Fund bids", "Who is the Party Treasurer?",
    "What did the NEC agree about conference?",
])
def test_every_quote_is_the_cited_reports_text_at_its_offsets(small, question):
    result = small.ask(question)
    assert result.citations
    for c in result.citations:
        report = small.reports[c.source]
        assert report.text[c.start:c.end] == c.quote
        assert c.meeting_date == report.meeting_date.iso()
        assert f"“{c.quote}” ({c.label()})" in result.text


def test_quotes_run_oldest_meeting_first_then_in_reading_order(small):
    result = small.ask("What did the NEC agree about conference?")
    order = [(c.meeting_date, c.source, c.start) for c in result.citations]
    assert order == sorted(order)


def test_a_question_naming_a_month_quotes_that_meeting_only(small):
    result = small.ask("The draft timetable for Party conference, in July 2013?")
    assert result.citations and {c.meeting_date for c in result.citations} == {"2013-07-16"}


def test_a_meeting_filter_keeps_every_quote_inside_it(small):
    result = small.ask("Party conference delegates", Filters.parse(meeting="2011-11-01"))
    assert result.citations and {c.meeting_date for c in result.citations} == {"2011-11-01"}


def test_an_empty_question_is_asked_for_again(small):
    result = small.ask(" \n\t ")
    assert result.abstention is Abstention.EMPTY_QUESTION and not result.citations
    assert result.to_dict()["reason"] == "empty question"


def test_a_period_with_no_meeting_is_named_in_the_refusal(small):
    result = small.ask("What happened at the NEC meetings in 2019?")
    assert result.abstention is Abstention.PERIOD_NOT_COVERED
    assert "from 1 November 2011 to 4 November 2014" in result.lead and "2019" in result.lead


def test_words_the_reports_never_use_are_no_match(small):
    result = small.ask("xylophone quokka zeppelin")
    assert result.abstention in (Abstention.NO_MATCH, Abstention.UNKNOWN_NAME) and not result.citations


def test_a_when_question_leads_with_a_meeting_that_it_quotes(small):
    result = small.ask("When was the conference timetable agreed?")
    assert result.lead and not result.abstained
    assert any(c.meeting_label in result.lead for c in result.citations)


def test_a_follow_up_is_answered_with_the_topic_before_it(small):
    first = Question.read("How many council seats did we gain in the May 2012 elections?")
    follow_up = Question.read("and what about in Wales?", first)
    assert small.ask(follow_up).question.text.startswith("How many council seats")


def test_the_json_answer_keeps_its_stable_fields(small):
    data = small.ask("Who is the Party Treasurer?").to_dict()
    assert {"question", "answer", "abstained", "reason", "citations", "note"} <= data.keys()
    assert data["abstained"] is False and data["reason"] is None
    assert {"meeting_date", "section", "source", "quote", "start", "end"} <= data["citations"][0].keys()


def test_the_authors_asides_are_marked_at_ingest_and_never_quoted(small):
    import json

    from conftest import ROOT

    asides = [json.loads(line)["text"] for line in (ROOT / "eval" / "asides.jsonl").read_text().splitlines()]
    marked = {r.text[s:e] for r in small.reports.values() for s, e in r.asides}
    assert len(set(asides) - marked) <= 1  # the one left: "…I feel your pain!", a joke no pattern should chase
    for question in ("personal account official record pass on members", "visit your constituency get in touch",
                     "read more download campaign materials plan for jobs here"):
        assert not any(c.quote in marked for c in small.ask(question).citations), question
    for report in small.reports.values():  # still in the text, where "Show in context" shows them
        assert all(report.text[s:e].strip() for s, e in report.asides)
