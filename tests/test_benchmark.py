"""Smoke test of bench/benchmark.py's synthetic-scale measurement at a size that runs in seconds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assistant.embed import Embedder
from assistant.index import Index

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "benchmark.py"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scale_point_at_2000_chunks(benchmark, index: Index, embedder: Embedder) -> None:
    questions = benchmark.eval_questions(8)
    queries = embedder.encode(questions)
    point, retriever = benchmark.scale_point(index, embedder, 2000, questions, queries)

    point = json.loads(json.dumps(point))  # the figures must survive the JSON file
    assert point["n"] == 2000 and point["full_pipeline"] is True
    assert point["manifest"]["exact"] is True
    assert point["index"]["recall_at_10"] == 1.0
    for key in ("exact", "chosen", "chosen_1_thread"):
        assert set(point["index"][key]) == {"p50_ms", "p95_ms", "n"}
    assert point["index"]["disk_bytes"] > point["index"]["vector_bytes"] == 2000 * embedder.dimensions * 4
    assert point["search"]["n"] == len(questions) and point["search"]["p95_ms"] >= point["search"]["p50_ms"]

    chunks = retriever.index.chunks
    assert len({c.chunk_id for c in chunks}) == len(chunks) == 2000
    assert len({c.meeting_date for c in chunks}) > len({c.meeting_date for c in index.chunks})
