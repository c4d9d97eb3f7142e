"""The decision log found while indexing: what was agreed, and when."""

import pytest

from assistant.decisions import is_decision, select


def decided(index, date: str, words: str) -> bool:
    return any(d.meeting_date == date and words in d.text for d in index.decisions)


@pytest.mark.parametrize(("date", "words"), [
    ("2014-11-04", "We also agreed the timetable for the Mayoral primary"),  # and the £3 levy, same sentence
    ("2014-11-04", "participate in the primary (£3)"),
    ("2012-11-27", "conference will run from 11am on the Sunday until 3pm on the Wednesday"),
    ("2013-07-16", "We approved 27 bids"),
    ("2014-11-04", "agreed that in future all bodies seeking to hold fringe meetings"),
])
def test_decisions_from_the_reports_carry_their_meeting_date(index, date, words):
    assert decided(index, date, words)


def test_trailing_this_was_agreed_keeps_the_request_it_refers_to(index):
    assert decided(index, "2013-07-16",
                   "should be directed to Scotland to assist the party in the run up to the independence referendum. "
                   "This was agreed.")


def test_decisions_are_verbatim_and_in_date_order(index):
    dates = [d.meeting_date for d in index.decisions]
    assert dates == sorted(dates)
    for d in index.decisions:
        assert index.reports[d.source].text[d.start:d.end] == d.text
        assert d.topic


def test_sentences_that_decide_nothing_are_left_out():
    assert not is_decision("Harriet talked of the importance of women’s voices and votes during the campaign.")
    assert is_decision("It was agreed that CLPs should be encouraged to book early.")


def test_topic_matches_by_meaning_and_dates_filter(index, embedder):
    about = select(index.decisions, embedder, topic="London mayoral primary")
    assert about and all(d.meeting_date == "2014-11-04" for d in about)
    assert any("Mayoral primary" in d.text for d in about)
    early = select(index.decisions, embedder, date_to="2012")
    assert early and all(d.meeting_date <= "2012-12-31" for d in early)


def test_noted_that_is_an_observation_not_a_decision():
    assert not is_decision("It was noted that many staff had gone straight from one by-election to another.")
    assert is_decision("We noted the results of the recent by-elections.")


@pytest.mark.parametrize(("question", "meeting"), [
    ("When was the timetable for the London Mayoral primary agreed?", "4 November 2014"),
    ("When did the NEC decide conference would run from Sunday to Wednesday?", "27 November 2012"),
    ("When were the Refounding Labour Fund bids approved?", "16 July 2013"),
])
def test_when_was_it_agreed_puts_the_meeting_date_first(retriever, question, meeting):
    from assistant.answer import answer

    result = answer(question, retriever)
    assert meeting in result.answer.splitlines()[0]
    for c in result.citations:
        assert retriever.index.reports[c.source].text[c.start:c.end] == c.quote
    assert [c.meeting_date for c in result.citations] == sorted(c.meeting_date for c in result.citations)
