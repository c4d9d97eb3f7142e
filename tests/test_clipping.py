"""Clipped phrases ("Lib Dems") are searched as the reports spell them, and only when one phrase fits."""

from __future__ import annotations

import pytest

from assistant.answer import answer
from assistant.build import build
from assistant.clipping import spelled_out
from assistant.index import Index
from assistant.question import Question


@pytest.fixture(scope="module")
def small(corpus_copy, stand_in, tmp_path_factory) -> Index:
    return build(corpus_copy, tmp_path_factory.mktemp("clipping-index"), stand_in)


def test_a_clipped_party_name_is_searched_as_the_reports_spell_it(small):
    assert spelled_out("anything on the Lib Dems?", small) == "anything on the Liberal Democrats?"


def test_a_clipped_run_beside_a_whole_word_is_spelled_out_and_the_word_kept(small):
    assert spelled_out("Nat Pol Forum", small) == "National Policy Forum"


@pytest.mark.parametrize("text", [
    "Dems",  # one word alone: "dem" begins "demand" and "democracy" too
    "Pol Com",  # "policy commission" and "Police Commissioner" both fit
    "Iraq war",  # no phrase of the reports fits
    "How did the Tories do?",  # every word is the reports' own
])
def test_a_phrase_the_reports_do_not_settle_is_left_as_asked(small, text):
    assert spelled_out(text, small) == text


def test_anything_on_the_lib_dems_quotes_the_liberal_democrats_at_both_meetings(assistant):
    reply = answer(Question.read("anything on the Lib Dems?"), assistant.retriever)
    assert {c.meeting_date for c in reply.citations} == {"2012-05-29", "2014-11-04"}
    assert all("Liberal Democrats" in c.quote for c in reply.citations)
