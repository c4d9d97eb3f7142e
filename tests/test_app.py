"""The web chat: rendering is escaped, the API answers, several people can ask at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

from assistant.answer import Answer, Citation
from assistant.access import parse_auth
from assistant.app import as_text, build_app, format_answer, launch
from assistant.dates import MeetingDate
from assistant.ingest import Paragraph, Report, Section
from assistant.net import free_port
from assistant.question import Question

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


def _report_with(text: str) -> Report:
    body = f"Title\n\n{text}"
    return Report("evil.txt", "Title <b>", None, MeetingDate(2015, 3, 1), body,
                  [Section("Other issues", [Paragraph(7, len(body))])])


@pytest.mark.parametrize("payload", XSS)
def test_report_text_is_escaped_in_answers(payload):
    report = _report_with(f"We agreed {payload} today.")
    start = report.text.index("We")
    quote = report.text[start:]
    citation = Citation("2015-03-01", "1 March 2015", "Other issues", "evil.txt", quote, start, len(report.text), 1.0)
    rendered = format_answer(Answer(Question.read("q"), None, [citation]), {"evil.txt": report})
    assert payload not in rendered and "<b>" not in rendered
    assert payload.replace("<", "&lt;").replace(">", "&gt;") in rendered
    assert "\n\n" not in rendered  # a blank line would end the HTML block for the markdown renderer


@pytest.mark.parametrize("payload", XSS)
def test_question_text_is_shown_as_text(payload):
    shown = as_text(payload)
    assert "<" not in shown and ">" not in shown


def test_parse_auth():
    assert parse_auth("staff:secret,chair:pw") == [("staff", "secret"), ("chair", "pw")]
    assert parse_auth("") is None
    with pytest.raises(ValueError):
        parse_auth("nopassword")


def test_api_answers_with_quote_and_date(server):
    client = Client(server, verbose=False)
    result = client.predict("How much do supporters pay to vote in the London mayoral primary?", "", "", "",
                            api_name="/answer")
    assert result["abstained"] is False
    assert any(c["meeting_date"] == "2014-11-04" and "(£3)" in c["quote"] for c in result["citations"])


def test_chat_endpoint_renders_citation_and_follows_up(server):
    client = Client(server, verbose=False)
    history, box = client.predict(
        "How many council seats did we gain in the May 2012 elections?", [], "", "", "", api_name="/chat")
    reply = str(history[-1]["content"])
    assert "823 council seat gains" in reply and "NEC meeting, 29 May 2012" in reply and box == ""
    history, _ = client.predict("and what about in Wales?", history, "", "", "", api_name="/chat")
    assert "21 of the 22 councils" in str(history[-1]["content"])  # the follow-up kept the topic of May 2012


def test_meeting_filter_limits_answers(server):
    client = Client(server, verbose=False)
    result = client.predict("What was said about conference?", "2011-11-01", "", "", api_name="/answer")
    assert result["citations"] and {c["meeting_date"] for c in result["citations"]} == {"2011-11-01"}


def test_eight_people_asking_at_once_all_get_answers(server):
    questions = {
        "How many Refounding Labour Fund bids were approved?": ("2013-07-16", "27 bids"),
        "Who was re-elected Party Treasurer?": ("2012-05-29", "Dianna Holland"),
        "What will supporters pay to vote in the mayoral primary?": ("2014-11-04", "(£3)"),
        "When will the 2013 conference start and finish?": ("2012-11-27", "Sunday until 3pm on the Wednesday"),
        "Who was on the NEC boundary taskforce?": ("2011-11-01", "Michael Cashman"),
        "What share of the vote did we get in the English local elections in 2012?": ("2012-05-29", "38% share"),
        "How many trainee organisers were put into battleground seats?": ("2014-11-04", "70 trainees"),
        "How many target seats had selected candidates by July 2013?": ("2013-07-16", "91 of the 106"),
    }

    def ask(question: str) -> tuple[dict, float]:
        started = time.perf_counter()
        result = Client(server, verbose=False).predict(question, "", "", "", api_name="/answer")
        return result, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(questions, pool.map(ask, questions)))
    for question, (date, evidence) in questions.items():
        result, _ = results[question]
        assert any(c["meeting_date"] == date and evidence in c["quote"] for c in result["citations"]), question


def test_login_required_when_auth_is_on(assistant):
    demo = build_app(assistant)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth="staff:s3cret", block=False)
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)
        client = Client(url, auth=("staff", "s3cret"), verbose=False)
        assert client.predict("Who is the Party Treasurer?", "", "", "", api_name="/answer")["citations"]
    finally:
        demo.close()


def test_chat_says_why_it_cannot_answer(assistant):
    reports = assistant.reports
    shown = format_answer(assistant.ask("Why did Douglas Carswell quit the Tories?"), reports)
    assert shown == "The NEC reports don&#x27;t mention Douglas Carswell."
    nothing = format_answer(assistant.ask("how do I bake bread?"), reports, " for the meetings you picked")
    assert "for the meetings you picked" in nothing and "widen the meeting filter" in nothing
