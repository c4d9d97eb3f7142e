"""The decision log found while indexing: what was agreed, and when."""

import pytest

from assistant.decisions import is_decision
from assistant.evaluate import load_qa, score_extractor
from assistant.retrieve import Filters
from conftest import ROOT


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


def test_topic_matches_by_meaning_and_dates_filter(assistant):
    about = assistant.decisions("London mayoral primary")
    assert about and all(d.meeting_date == "2014-11-04" for d in about)
    assert any("Mayoral primary" in d.text for d in about)
    early = assistant.decisions(filters=Filters.parse(date_to="2012"))
    assert early and all(d.meeting_date <= "2012-12-31" for d in early)


def test_noted_that_is_an_observation_not_a_decision():
    assert not is_decision("It was noted that many staff had gone straight from one by-election to another.")
    assert is_decision("We noted the results of the recent by-elections.")


def test_decisions_reported_as_taken_and_by_nec_bodies_count():
    assert is_decision("It was good to hear that the decision has now been taken to have the General Secretary "
                       "attend and speak at meetings of the Shadow Cabinet.")
    assert is_decision("That taskforce agreed the alternative proposals that have been submitted.")
    assert not is_decision("He has agreed to come on the road with me again.")
    assert not is_decision("I argued for complete transparency of decision-making.")


def test_extractor_precision_and_recall_on_hand_judged_sentences():
    """Every sentence of the five reports with a decision word, judged by hand (eval/decisions.jsonl)."""
    score = score_extractor(ROOT / "eval" / "decisions.jsonl")
    assert score.judged >= 40
    assert score.precision >= 0.95 and score.recall >= 0.95, score.summary()


@pytest.mark.parametrize(("question", "meeting"), [
    ("When was the timetable for the London Mayoral primary agreed?", "4 November 2014"),
    ("When did the NEC decide conference would run from Sunday to Wednesday?", "27 November 2012"),
    ("When were the Refounding Labour Fund bids approved?", "16 July 2013"),
])
def test_when_was_it_agreed_puts_the_meeting_date_first(assistant, question, meeting):
    result = assistant.ask(question)
    assert meeting in result.lead
    for c in result.citations:
        assert assistant.reports[c.source].text[c.start:c.end] == c.quote
    assert [c.meeting_date for c in result.citations] == sorted(c.meeting_date for c in result.citations)


def test_a_later_meeting_returning_to_a_decision_is_shown_with_it(assistant):
    result = assistant.ask("When did the NEC agree who would sit on the policy commissions?")
    lead = result.lead
    assert lead == "Agreed at the NEC meeting of 27 November 2012. Returned to on 4 November 2014."
    assert [c.meeting_date for c in result.citations] == ["2012-11-27", "2014-11-04"]
    assert "new policy commissions" in result.citations[0].quote
    assert "new NEC membership of the Party’s Policy Commissions" in result.citations[1].quote


def test_what_has_the_nec_agreed_lists_every_decision_on_it_oldest_first(assistant):
    result = assistant.ask("What has the NEC agreed about Scotland?")
    dates = [c.meeting_date for c in result.citations]
    assert result.lead == "Agreed at the NEC meetings of 29 May 2012, 16 July 2013 and 4 November 2014."
    assert dates == ["2012-05-29", "2013-07-16", "2014-11-04"]
    assert not any("Refounding Labour Fund panel" in c.quote for c in result.citations)  # a label, not Scotland
    assert all(assistant.reports[c.source].text[c.start:c.end] == c.quote for c in result.citations)
    assert any("directed to Scotland" in c.quote for c in result.citations)


def test_every_when_agreed_question_in_the_eval_names_its_meeting_first(assistant):
    from assistant.dates import find_dates

    items = [i for i in load_qa(ROOT / "eval" / "qa.jsonl") if "when-agreed" in i.tags]
    assert len(items) >= 15
    wrong = []
    for item in items:
        named = find_dates(assistant.ask(item.question).lead)
        if not named or named[0].date.iso() != item.meeting_date:
            wrong.append(item.id)
    assert not wrong
