import pytest

from assistant.chunking import Chunker, count_tokens
from assistant.sentences import sentence_spans
from assistant.ingest import read_corpus
from conftest import MEETINGS


@pytest.fixture(scope="module")
def chunks_by_source(reports, embedder):
    chunker = Chunker(model_fits=embedder.fits)
    return {source: chunker.chunk(report) for source, report in reports.items()}


@pytest.mark.parametrize("source", MEETINGS)
def test_chunks_stay_inside_one_section_and_point_at_their_text(reports, chunks_by_source, source):
    report = reports[source]
    for chunk in chunks_by_source[source]:
        assert report.text[chunk.start:chunk.end] == chunk.text
        [section] = [s for s in report.sections if s.start <= chunk.start and chunk.end <= s.end]
        assert chunk.section == section.heading
        assert chunk.meeting_date == report.meeting_date.iso()


@pytest.mark.parametrize("source", MEETINGS)
def test_chunks_cover_every_paragraph_once(reports, chunks_by_source, source):
    report = reports[source]
    covered = sorted((c.start, c.end) for c in chunks_by_source[source])
    assert all(a[1] <= b[0] for a, b in zip(covered, covered[1:])), "chunks overlap"
    for section in report.sections:
        for p in section.paragraphs:
            assert any(s <= p.start < e for s, e in covered) and any(s < p.end <= e for s, e in covered)


def test_chunks_respect_the_token_budget_and_the_model_limit(chunks_by_source, embedder):
    chunks = [c for cs in chunks_by_source.values() for c in cs]
    assert max(count_tokens(c.text) for c in chunks) <= Chunker().max_tokens
    assert all(embedder.fits(c.embedding_text()) for c in chunks)


def test_embedding_text_carries_date_and_section(chunks_by_source):
    chunk = chunks_by_source["002_3538ad03228d0549.txt"][3]
    assert chunk.embedding_text().startswith(f"NEC meeting, 16 July 2013 — {chunk.section}\n")


def test_long_paragraph_splits_at_sentence_ends(make_corpus):
    sentence = "The committee discussed the budget for the coming year in considerable detail. "
    corpus = make_corpus({"long.txt": "NEC Report – 5th May 2015\n\nFinance\n\n" + sentence * 40 + "\n"})
    [report] = read_corpus(corpus)
    chunks = Chunker(max_tokens=50).chunk(report)
    assert len(chunks) > 5
    assert all(c.text.endswith("detail.") and c.text.startswith("The committee") for c in chunks)
    assert all(count_tokens(c.text) <= 50 for c in chunks)


def test_model_limit_splits_further_than_the_budget(make_corpus):
    corpus = make_corpus({"r.txt": "NEC Report – 5th May 2015\n\nFinance\n\n" + "Word " * 300 + "end.\n"})
    [report] = read_corpus(corpus)
    chunks = Chunker(max_tokens=10_000, model_fits=lambda text: len(text.split()) <= 60).chunk(report)
    assert len(chunks) >= 5 and all(len(c.embedding_text().split()) <= 60 for c in chunks)


def test_sentence_spans_keep_closing_quotes():
    text = "He said “no”. She agreed. 3 bids were approved."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["He said “no”.", "She agreed.", "3 bids were approved."]
