"""The chat shows a broad question's overview as a timeline: a heading a meeting, each quote openable."""

from __future__ import annotations

import re

from assistant.app import format_answer


def test_an_overview_has_a_heading_for_each_meeting_and_a_context_for_each_quote(assistant):
    reply = assistant.ask("What about Harriet Harman?")
    shown = format_answer(reply, assistant.reports)
    headings = re.findall(r'<h3 class="meeting">([^<]*)</h3>', shown)
    assert headings == sorted({c.meeting_label for c in reply.citations}, key=lambda label: shown.index(label))
    assert len(headings) == len({c.meeting_date for c in reply.citations}) >= 2
    assert shown.count("<details>") == len(reply.citations)


def test_a_specific_answer_has_no_meeting_headings(assistant):
    assert "<h3" not in format_answer(assistant.ask("Who is the Party Treasurer?"), assistant.reports)
