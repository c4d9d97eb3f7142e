"""The on-topic model: which lines a broad answer quotes, learned from the broad sets' labelled sentences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.answer import answer
from assistant.on_topic import MODEL_FILE, OnTopicModel, learn, learn_from_eval, model
from assistant.question import Question

EVAL = Path(__file__).resolve().parent.parent / "eval"


def test_the_committed_model_is_what_the_broad_sets_teach(assistant):
    learned = learn_from_eval(EVAL, assistant.retriever)
    committed = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert np.allclose(committed["weights"], learned.weights, atol=1e-3), "run python -m assistant.on_topic"
    assert abs(committed["bias"] - learned.bias) < 1e-3


def test_every_signal_counts_for_the_topic():
    """More meaning, reports nearer the topic, more of its words in its sense, a better passage: each makes a
    line more likely on topic; more of the topic in words the reports never use makes it less likely."""
    *toward, unknown = model().weights
    assert all(w > 0 for w in toward) and unknown < 0
    low, high = model().probability(np.array([[0.2, 0.3, 0.0, 0.3, 1.0], [0.6, 0.6, 0.8, 1.0, 0.0]]))
    assert low < 0.35 < 0.5 < high


def test_learning_separates_what_the_labels_separate():
    signals = np.array([[0.1, 0.0, 0.2], [0.2, 0.1, 0.3], [0.7, 1.0, 0.9], [0.6, 0.9, 1.0]])
    fitted = learn([(signals, np.array([False, False, True, True]))])
    assert isinstance(fitted, OnTopicModel)
    assert list(fitted.probability(signals) > 0.5) == [False, False, True, True]


def test_a_topic_the_reports_never_discuss_is_not_answered_from_a_frame_word(assistant):
    """"talk" is in the author's visits ("visit and talk to members"); "flooding" is in no report."""
    reply = answer(Question.read("did they talk about flooding?"), assistant.retriever)
    assert reply.abstained and reply.citations == []


def test_a_derived_word_does_not_match_its_stem(assistant):
    """"nationalism" was answered with Ed's One Nation vision, which the stemmer makes the same word."""
    reply = answer(Question.read("nationalism"), assistant.retriever)
    assert not any("One Nation" in c.quote for c in reply.citations)


def test_a_word_in_another_sense_does_not_answer_a_topic(assistant):
    """"housing" and "house" are one word to the stemmer; the reports never discuss housing, but one says
    "a new website to house our expanded efforts", which a count of shared words quoted for it."""
    for asked in ("anything on housing", "What did the NEC say about housing?", "housing"):
        reply = answer(Question.read(asked), assistant.retriever)
        assert reply.abstained, (asked, [c.quote[:60] for c in reply.citations])


def test_a_word_the_reports_use_only_in_another_sense_is_a_word_they_never_use(assistant):
    """With a second word the reports do use, "housing" was answered on it: "what's labour saying about housing" with
    a line on Refounding Labour, "any news on housing policy" with the National Policy Forum's."""
    for asked in ("what's labour saying about housing", "any news on housing policy", "tell me about labour's housing policy"):
        reply = answer(Question.read(asked), assistant.retriever)
        assert reply.abstained, (asked, [c.quote[:60] for c in reply.citations])
    reply = answer(Question.read("any news on the policy forum"), assistant.retriever)
    assert reply.citations and all("Policy" in c.quote or "policy" in c.quote for c in reply.citations)


def test_a_topic_word_is_matched_in_the_sense_the_whole_question_gives_it(assistant):
    """"cuts" is frame (no answer holds it), so the topic is "benefit" alone, as much the verb ("CLPs who are due to
    benefit") as the noun; asked twice, word for word, in the blind sets, it quoted only the verb."""
    reply = answer(Question.read("did they discuss benefit cuts"), assistant.retriever)
    assert any("welfare benefit changes" in c.quote for c in reply.citations), [c.quote[:60] for c in reply.citations]


def test_a_word_the_reports_never_use_counts_as_the_word_they_use_for_it(assistant):
    """"org" and "disabled" are in no report; "Organisation" and "Disability" are, in the lines on the topic."""
    reply = answer(Question.read("did they discuss the org sub committee"), assistant.retriever)
    assert reply.citations and all("ommittee" in c.quote for c in reply.citations)
    reply = answer(Question.read("has the NEC said anything about disabled members"), assistant.retriever)
    assert any("Disability access" in c.quote for c in reply.citations), [c.quote[:60] for c in reply.citations]


def test_a_shared_word_with_another_meaning_does_not_answer_a_topic(assistant):
    """Tuition fees never came up; the reports' only "fees" are employment tribunal fees."""
    reply = answer(Question.read("what was said about tuition fees?"), assistant.retriever)
    assert reply.abstained, [c.quote[:60] for c in reply.citations]
