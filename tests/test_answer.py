import pytest

from assistant.answer import answer

QUESTIONS = [
    "What did the NEC decide about primaries?",
    "When was the conference timetable agreed?",
    "What happened to the Refounding Labour Fund bids?",
    "Who welcomed new members in November 2011?",
    "What did Harriet Harman say about Scotland?",
    "How many organisers will the party have in target seats?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_quote_is_verbatim_in_the_report_it_cites(assistant, question):
    result = assistant.ask(question)
    assert not result.abstained and result.citations
    for c in result.citations:
        report = assistant.reports[c.source]
        assert c.quote in report.text
        assert report.text[c.start:c.end] == c.quote
        assert c.meeting_date == report.meeting_date.iso()
        assert f"“{c.quote}” ({c.label()})" in result.text


@pytest.mark.parametrize(("question", "date"), [
    ("Who joined the NEC at the last away day?", "2014-11-04"),
    ("What did Ed Miliband talk about in November 2014?", "2014-11-04"),
    ("Who was welcomed at the November 2011 meeting?", "2011-11-01"),
])
def test_a_question_naming_a_meeting_quotes_that_meeting_only(assistant, question, date):
    result = assistant.ask(question)
    assert result.citations and {c.meeting_date for c in result.citations} == {date}


def test_citations_run_oldest_meeting_first(assistant):
    result = assistant.ask("What did the NEC agree about conference?")
    dates = [c.meeting_date for c in result.citations]
    assert dates == sorted(dates) and len(set(dates)) > 1


def test_answer_quotes_the_fact_asked_for(assistant):
    result = assistant.ask("How many bids from the Refounding Labour Fund were approved?")
    assert any("We approved 27 bids" in c.quote and c.meeting_date == "2013-07-16" for c in result.citations)
    assert "(NEC meeting, 16 July 2013 — Other issues)" in result.text


def test_short_follow_up_sentence_is_quoted_with_what_it_refers_to(assistant):
    result = assistant.ask("Was the surplus from failed Refounding Labour bids sent to Scotland?")
    assert any(c.quote.endswith("independence referendum. This was agreed.") for c in result.citations)


def test_empty_question_abstains(assistant):
    result = assistant.ask("   ")
    assert result.abstained and result.citations == []


def test_a_broad_question_gets_one_line_from_each_meeting_oldest_first(assistant):
    reply = assistant.ask("Did the NEC talk about Europe?")
    dates = [c.meeting_date for c in reply.citations]
    assert reply.overview and len(dates) >= 2 and dates == sorted(set(dates))
    assert reply.lead == f"Discussed at {len(dates)} NEC meetings; the most relevant line from each, oldest first."
    assert any("Europe" in c.quote for c in reply.citations)
    assert not any("NEC" in c.quote and "Europ" not in c.quote for c in reply.citations)  # "NEC" picks no line


def test_an_overview_names_the_meetings_it_has_no_room_for(assistant, monkeypatch):
    import assistant.answer as answer_module

    full = assistant.ask("Ed Miliband")
    assert len(full.citations) >= 3
    monkeypatch.setattr(answer_module, "OVERVIEW_MEETINGS", 2)
    cut = assistant.ask("Ed Miliband")
    assert len(cut.citations) == 2 and "Also discussed on" in cut.lead
    named = cut.lead.split("Also discussed on ")[1]
    assert all(c.meeting_label in named for c in full.citations if c.meeting_date not in
               {k.meeting_date for k in cut.citations})


def test_a_further_meeting_is_quoted_only_when_its_line_is_on_topic_at_the_further_odds(assistant, monkeypatch):
    import assistant.answer as answer_module

    full = assistant.ask("Ed Miliband")
    likeliest = max(full.citations, key=lambda c: c.score)
    assert len(full.citations) >= 3
    assert all(c.score >= answer_module.FURTHER_ODDS for c in full.citations if c is not likeliest)
    monkeypatch.setattr(answer_module, "FURTHER_ODDS", 1.0)
    assert [c.quote for c in assistant.ask("Ed Miliband").citations] == [likeliest.quote]


def test_a_specific_question_still_gets_its_specific_answer(assistant):
    reply = assistant.ask("Who is the Party Treasurer?")
    assert not reply.overview and any("Dianna Holland" in c.quote for c in reply.citations)
