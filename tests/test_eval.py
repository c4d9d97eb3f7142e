"""The eval set is sound, and the regression gate: retrieval must not fall below measured figures."""

from collections import Counter
from pathlib import Path

import pytest

from assistant.evaluate import QAFormatError, evaluate, format_table, is_relevant, load_qa, ndcg, systems
from conftest import MEETINGS, ROOT

QA = ROOT / "eval" / "qa.jsonl"
HOLDOUT = ROOT / "eval" / "holdout.jsonl"

# Measured with `nec-assistant eval --compare` on 2026-11-24 (full pipeline, all-mpnet-base-v2): hit@1 0.895,
# hit@5 0.990, MRR@10 0.936, nDCG@10 0.950, date@1 0.971, quotes 0.952, abstention precision 1.000 / recall 0.357.
# The gate sits a little below, so that noise passes and a real regression does not.
GATE = {"hit@1": 0.86, "hit@5": 0.97, "mrr@10": 0.91, "ndcg@10": 0.93, "top1_date": 0.93,
        "quotes_hold_evidence": 0.93, "abstain_precision": 0.75, "abstain_recall": 0.30}
# eval/holdout.jsonl, measured the same day: hit@1 0.812, hit@5 1.000, MRR@10 0.899, nDCG@10 0.927,
# date@1 0.896, quotes 0.917, abstention precision 0.833 / recall 0.417.
HOLDOUT_GATE = {"hit@1": 0.77, "hit@5": 0.97, "mrr@10": 0.87, "ndcg@10": 0.90, "top1_date": 0.85,
                "quotes_hold_evidence": 0.88, "abstain_precision": 0.70, "abstain_recall": 0.33}


def below(metrics: dict, gate: dict) -> dict:
    """The gated figures that fell under their gate."""
    return {k: v for k, v in metrics.items() if k in gate and v < gate[k]}


@pytest.fixture(scope="module")
def items():
    return load_qa(QA)


@pytest.fixture(scope="module")
def results(index, embedder, items):
    return {name: evaluate(name, desc, retriever, items, ask=ask)
            for name, desc, retriever, ask in systems(index, embedder, compare=True)}


def test_eval_set_covers_what_it_must(items):
    assert len(items) >= 100
    per_meeting = Counter(i.meeting_date for i in items)
    assert all(per_meeting[date] >= 15 for date in MEETINGS.values())
    assert per_meeting[None] >= 10
    tags = Counter(t for i in items for t in i.tags)
    assert tags["date-in-question"] >= 10 and tags["when-agreed"] >= 10 and tags["furniture-only"] >= 5
    assert len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("path", [QA, HOLDOUT], ids=lambda p: p.name)
def test_every_evidence_string_is_in_its_cleaned_report(path, index):
    by_date = {r.meeting_date.iso(): " ".join(r.text.split()) for r in index.reports.values()}
    missing = [(i.id, e) for i in load_qa(path) if i.answerable for e in i.evidence
               if " ".join(e.split()) not in by_date[i.meeting_date]]
    assert missing == []


@pytest.mark.parametrize("path", [QA, HOLDOUT], ids=lambda p: p.name)
def test_every_answerable_question_has_a_relevant_passage(path, index):
    assert [i.id for i in load_qa(path) if i.answerable and not any(is_relevant(i, c) for c in index.chunks)] == []


def test_ndcg_follows_the_beir_definition():
    assert ndcg([True], 1) == 1.0
    assert ndcg([False, True], 1) == pytest.approx(1 / 1.584962500721156)
    assert ndcg([False] * 10, 2) == 0.0


def test_bad_qa_line_names_file_and_line(tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"id": "a", "question": "q", "answer": "a", "meeting_date": null, "evidence": []}\n{"id": "b"}\n')
    with pytest.raises(QAFormatError, match=r"qa.jsonl:2"):
        load_qa(qa)


def test_full_pipeline_holds_the_gate(results):
    metrics = results["full"].metrics
    print("\n" + format_table(list(results.values())))
    assert below(metrics, GATE) == {}


def test_full_pipeline_beats_every_baseline(results):
    full = results["full"].metrics
    for name in ("bm25", "dense", "fixed-1000"):
        assert full["mrr@10"] > results[name].metrics["mrr@10"], name
        assert full["hit@1"] > results[name].metrics["hit@1"], name


def test_holdout_set_holds_its_gate(assistant):
    """Questions written by someone who saw only the reports, never the pipeline or qa.jsonl."""
    items = load_qa(HOLDOUT)
    assert len(items) >= 50 and sum(not i.answerable for i in items) >= 10
    metrics = evaluate("full", "", assistant.retriever, items, ask=True).metrics
    assert below(metrics, HOLDOUT_GATE) == {}


# Broad questions ("Europe", "anything about London?"), measured on 2026-12-04 with the on-topic model: quote
# precision, meeting coverage, an on-topic quote for the questions the reports can answer, abstention on those they
# cannot. The first twenty-three sets teach the question and on-topic models (eval/README.md); broad-twentyfourth.jsonl
# to broad-fortyfourth.jsonl were written blind after, as members would ask, three at a time, each three measured
# once as they came and gated since at the figures of the code that followed (eval/README.md). Issue #16 asks for 0.90 precision and 0.80 coverage, and on unseen questions 0.90 precision with an on-topic quote for
# every question; until then each gate keeps what there is from slipping.
BROAD_GATES = {  # eval/<name>.jsonl: its gate
    # the sets that teach both models (topic.BROAD_SETS), at their figures on the models learned from all of them
    "broad": {"quote_precision": 0.93, "meeting_coverage": 0.85, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-holdout": {"quote_precision": 0.88, "meeting_coverage": 0.83, "answered_on_topic": 0.95, "abstained_right": 1.0},
    "broad-unseen": {"quote_precision": 0.94, "meeting_coverage": 0.89, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fresh": {"quote_precision": 0.89, "meeting_coverage": 0.85, "answered_on_topic": 0.92, "abstained_right": 1.0},
    "broad-blind": {"quote_precision": 0.9, "meeting_coverage": 0.74, "answered_on_topic": 0.92, "abstained_right": 0.8},
    # narrow cuts of topics asked before ("council by-elections", "scotland having a seat on the NEC"): taught by
    # sets mostly written as members ask, the models quote their near neighbours more than when nine taught them
    # (eval/README.md)
    "broad-sixth": {"quote_precision": 0.72, "meeting_coverage": 0.75, "answered_on_topic": 0.72, "abstained_right": 1.0},
    "broad-seventh": {"quote_precision": 0.73, "meeting_coverage": 1.0, "answered_on_topic": 0.96, "abstained_right": 0.8},
    "broad-eighth": {"quote_precision": 0.56, "meeting_coverage": 0.83, "answered_on_topic": 0.8, "abstained_right": 1.0},
    "broad-ninth": {"quote_precision": 0.9, "meeting_coverage": 0.83, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-tenth": {"quote_precision": 0.95, "meeting_coverage": 0.84, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-eleventh": {"quote_precision": 0.92, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twelfth": {"quote_precision": 0.94, "meeting_coverage": 0.81, "answered_on_topic": 0.97, "abstained_right": 1.0},
    "broad-thirteenth": {"quote_precision": 0.87, "meeting_coverage": 0.89, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fourteenth": {"quote_precision": 0.93, "meeting_coverage": 0.83, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fifteenth": {"quote_precision": 0.92, "meeting_coverage": 0.84, "answered_on_topic": 0.97, "abstained_right": 1.0},
    "broad-sixteenth": {"quote_precision": 0.93, "meeting_coverage": 0.86, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-seventeenth": {"quote_precision": 0.92, "meeting_coverage": 0.83, "answered_on_topic": 0.97, "abstained_right": 1.0},
    "broad-eighteenth": {"quote_precision": 0.94, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-nineteenth": {"quote_precision": 0.96, "meeting_coverage": 0.86, "answered_on_topic": 1.0, "abstained_right": 0.83},
    "broad-twentieth": {"quote_precision": 0.96, "meeting_coverage": 0.85, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentyfirst": {"quote_precision": 0.95, "meeting_coverage": 0.86, "answered_on_topic": 0.97, "abstained_right": 1.0},
    "broad-twentysecond": {"quote_precision": 1.0, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentythird": {"quote_precision": 0.96, "meeting_coverage": 0.9, "answered_on_topic": 1.0, "abstained_right": 1.0},
    # written blind and measured once, as they came: #16's unseen target is 0.90 precision and no question without an
    # on-topic quote
    "broad-twentyfourth": {"quote_precision": 0.97, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentyfifth": {"quote_precision": 0.96, "meeting_coverage": 0.9, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentysixth": {"quote_precision": 0.95, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentyseventh": {"quote_precision": 0.93, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentyeighth": {"quote_precision": 0.98, "meeting_coverage": 0.86, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-twentyninth": {"quote_precision": 0.92, "meeting_coverage": 0.85, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtieth": {"quote_precision": 0.93, "meeting_coverage": 0.89, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyfirst": {"quote_precision": 0.96, "meeting_coverage": 0.86, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtysecond": {"quote_precision": 0.95, "meeting_coverage": 0.85, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtythird": {"quote_precision": 0.95, "meeting_coverage": 0.89, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyfourth": {"quote_precision": 0.94, "meeting_coverage": 0.94, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyfifth": {"quote_precision": 0.96, "meeting_coverage": 0.9, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtysixth": {"quote_precision": 0.97, "meeting_coverage": 0.85, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyseventh": {"quote_precision": 0.96, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyeighth": {"quote_precision": 0.95, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-thirtyninth": {"quote_precision": 0.96, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fortieth": {"quote_precision": 1.0, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fortyfirst": {"quote_precision": 0.93, "meeting_coverage": 0.9, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fortysecond": {"quote_precision": 0.97, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fortythird": {"quote_precision": 0.97, "meeting_coverage": 0.88, "answered_on_topic": 1.0, "abstained_right": 1.0},
    "broad-fortyfourth": {"quote_precision": 0.97, "meeting_coverage": 0.87, "answered_on_topic": 1.0, "abstained_right": 1.0},
}


def _broad_set(name: str) -> Path:
    return ROOT / "eval" / f"{name}.jsonl"


@pytest.mark.parametrize("name", list(BROAD_GATES))
def test_broad_sets_label_sentences_that_are_in_the_reports(reports, name):
    from assistant.broad_eval import is_broad, load_broad

    path = _broad_set(name)
    assert is_broad(path) and not is_broad(QA)
    items = load_broad(path)
    assert len(items) >= 29 and sum(not i.answerable for i in items) >= 4
    texts = {r.meeting_date.iso(): " ".join(r.text.split()) for r in reports.values()}
    for item in items:
        for s in item.on_topic:
            assert " ".join(s["text"].split()) in texts[s["meeting_date"]], (item.id, s["text"][:60])


@pytest.mark.parametrize("name", list(BROAD_GATES))
def test_broad_questions_hold_their_gate(assistant, name):
    from assistant.broad_eval import evaluate_broad, load_broad

    _, metrics = evaluate_broad(assistant.retriever, load_broad(_broad_set(name)))
    assert below(metrics, BROAD_GATES[name]) == {}, metrics


def test_a_quote_is_on_topic_when_it_is_or_holds_a_labelled_sentence():
    from assistant.broad_eval import BroadItem, on_topic

    item = BroadItem("t", "Europe", "Europe", [{"meeting_date": "2012-05-29", "text": "Europe is in crisis.",
                                                "grade": "central"}])
    assert on_topic(item, "2012-05-29", "Europe is  in crisis.") and on_topic(item, "2012-05-29", "in crisis")
    assert not on_topic(item, "2011-11-01", "Europe is in crisis.")  # the same words at another meeting
    assert not on_topic(item, "2012-05-29", "The NEC met.")
