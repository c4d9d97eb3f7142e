"""A question is read once: its follow-up context, the meetings it names, and what it asks."""

import pytest

from assistant.question import MAX_TOKENS, Question, is_follow_up


def test_first_question_is_searched_as_asked():
    assert Question.read("What did the NEC decide about primaries?").text == "What did the NEC decide about primaries?"


def test_follow_up_carries_the_previous_topic():
    question = Question.read("who proposed it?", Question.read("What did the NEC decide about primaries?"))
    assert question.text == "What did the NEC decide about primaries? who proposed it?"
    assert question.typed == "who proposed it?"


def test_follow_up_with_a_new_date_drops_the_old_date():
    earlier = Question.read("What did the NEC say about conference in November 2012?")
    question = Question.read("and what about in 2013?", earlier)
    assert "2012" not in question.text and "2013" in question.text and "conference" in question.text
    assert question.years == {2013} and not question.months


def test_a_follow_up_of_a_follow_up_keeps_the_first_topic():
    first = Question.read("Who is the Party Treasurer?")
    second = Question.read("and who was it before?", first)
    third = Question.read("when was that?", second)
    assert third.text.startswith("Who is the Party Treasurer?")


def test_a_new_full_question_starts_afresh():
    assert not is_follow_up("How many council seats did Labour gain in the local elections?")
    assert Question.read("Who is the Party Treasurer?", Question.read("primaries")).text == "Who is the Party Treasurer?"


def test_control_characters_and_runs_of_space_are_tidied():
    assert Question.read("  who\x00 is\u200b the\n\ntreasurer? ").text == "who is the treasurer?"


def test_an_over_long_question_is_cut_with_a_note():
    question = Question.read("What did the NEC say about conference? " * 200)
    assert question.cut_from and question.cut_from > MAX_TOKENS
    assert f"first {MAX_TOKENS}" in question.cut_note()
    assert Question.read("short").cut_note() is None


@pytest.mark.parametrize(("typed", "when", "opens", "decided", "decisions"), [
    ("When was the conference timetable agreed?", True, True, True, True),
    ("What has the NEC agreed about Scotland?", False, False, False, True),
    ("So when did they set the date?", True, False, False, True),
    ("Who is the Party Treasurer?", False, False, False, False),
])
def test_what_a_question_asks_is_read_once(typed, when, opens, decided, decisions):
    q = Question.read(typed)
    assert (q.asks_when, q.opens_with_when, q.asks_when_decided, q.asks_about_decisions) == (when, opens, decided, decisions)


def test_the_last_meeting_is_picked_from_the_meetings_there_are():
    meetings = ["2012-05-29", "2012-11-27", "2013-07-16"]
    assert Question.read("What happened at the last meeting?").periods(meetings).months == {(2013, 7)}
    assert Question.read("And at the first meeting of 2012?").periods(meetings).months == {(2012, 5)}
    named = Question.read("What was said in July 2013?").periods(meetings)
    assert named.has_month_of("2013-07-16") and not named.has_month_of("2012-11-27")


def test_names_are_the_capitalised_words_after_the_first():
    assert Question.read("What did George Osborne's budget do?").names == ("George", "Osborne")
