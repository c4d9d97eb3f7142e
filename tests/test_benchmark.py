"""Smoke test of the benchmark: bench/benchmark.py's synthetic-scale measurement at a size that runs
in seconds, and bench/report.py rendering the results file the benchmark writes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.embed import Embedder
from assistant.index import Index

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", BENCH / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scale_2000(benchmark, index: Index, embedder: Embedder):
    """One synthetic-scale point of 2,000 chunks (the real chunks replicated), and the questions it searched."""
    questions = benchmark.eval_questions(8)
    queries = embedder.encode([q.text for q in questions])
    point, retriever = benchmark.scale_point(index, embedder, 2000, questions, queries)
    return point, retriever, questions


def test_scale_point_at_2000_chunks(scale_2000, index: Index, embedder: Embedder) -> None:
    point, retriever, questions = scale_2000
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
    assert retriever.search(questions[0])[0].chunk.meeting_date  # the synthetic index answers a real search


def test_report_renders_a_results_file(benchmark, scale_2000, tmp_path: Path) -> None:
    """bench/report.py redoes the document and chart from a results file alone, without measuring:
    here the 2,000-chunk point, with the figures a full run measures around it."""
    point, _, _ = scale_2000
    percentiles = {"p50_ms": 1.0, "p95_ms": 2.0, "n": 8}
    results = {
        "environment": {"date": "2026-01-01 00:00 UTC", "cpus": 2, "load_1min": 0.5, "platform": "Linux",
                        "python": "3.11", "torch": "2", "onnxruntime": "1", "faiss": "1"},
        "settings": benchmark.settings(), "sizes": [2000], "quick": True, "command": "--quick",
        "build": {"model_load_seconds": 2.0, "build_seconds": 12.0, "chunks": 122, "sentences": 344,
                  "decisions": 25, "peak_rss_mb": 990.0, "chunks_per_second": 10.2},
        "encoding": {"texts": 122, "default_threads": 2, "unbatched_chunks_per_second": 18.0,
                     "batched_threads_1_chunks_per_second": 11.0, "batched_threads_2_chunks_per_second": 20.0,
                     "batched_chunks_per_second": 20.0, "batched_over_unbatched": 1.11, "faster_threads": 2},
        "startup": {"seconds": 12.5, "answer": "…"},
        "queries": {"questions": 8, **{key: percentiles for key in
                                       ("encode", "encode_1_thread", "search", "search_preencoded", "answer",
                                        "answer_broad")}},
        "scale": [point],
    }
    json_path = tmp_path / "benchmarks.json"
    json_path.write_text(json.dumps(results), encoding="utf-8")

    done = subprocess.run([sys.executable, str(BENCH / "report.py"), str(json_path)], capture_output=True,
                          text=True, check=True)

    assert "Synthetic scale" in done.stdout and "MISS  start-up to first answer" in done.stdout
    doc = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert "MISS  start-up to first answer < 10 s: 12.5 s" in doc
    assert "----  search p95 at 100k chunks < 50 ms" in doc  # not measured at 2,000 chunks
    assert f"| 2,000 | {point['manifest']['kind']} | {point['search']['p50_ms']:.1f} / " in doc
    assert "| answer() to a broad question (with encode) |" in doc
    assert "bench/benchmark.py --quick" in doc and "![search latency vs corpus size](benchmark-latency.png)" in doc
    assert (tmp_path / "benchmark-latency.png").read_bytes().startswith(b"\x89PNG")
