"""Build, start-up and query figures for the NEC Assistant, measured in one run on this machine.

Measures the index build on the real corpus (time, chunks/s, peak memory, batched vs unbatched
encoding, 1 vs 2 threads), start-up to the first answer, query latency on the real index
over eval/qa.jsonl and the answers to eval/broad.jsonl's broad questions, and search at synthetic
scale (the real chunks replicated with noisy vectors) for each corpus size. Writes the figures to
benchmarks.json in --out (docs/ by default), then has bench/report.py print the tables and write
benchmarks.md and benchmark-latency.png beside it.

    .venv/bin/python bench/benchmark.py                  # sizes 10000,100000,1000000
    .venv/bin/python bench/benchmark.py --quick --out /tmp/bench   # smoke test: 10000 only, fewer repetitions
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import ann  # noqa: E402
from assistant.answer import answer  # noqa: E402
from assistant.broad_eval import load_broad  # noqa: E402
from assistant.build import embed_chunks  # noqa: E402
from assistant.chunking import Chunk  # noqa: E402
from assistant.embed import BATCH_SIZE, Embedder  # noqa: E402
from assistant.evaluate import load_qa  # noqa: E402
from assistant.index import Index  # noqa: E402
from assistant.senses import Senses  # noqa: E402
from assistant.ingest import Report  # noqa: E402
from assistant.question import Question  # noqa: E402
from assistant.retrieve import DEPTH, Retriever  # noqa: E402
from assistant.store import load, save  # noqa: E402
from bench.report import console, render, verdicts  # noqa: E402

DOCS = ROOT / "docs"
CORPUS = ROOT / "corpus"
QA = ROOT / "eval" / "qa.jsonl"
BROAD = ROOT / "eval" / "broad.jsonl"
SIZES = (10_000, 100_000, 1_000_000)
# Above this many chunks (--full-up-to) only the vector index is measured: the full pipeline holds
# ~2.8 sentence vectors per chunk (4.3 GB at 1M) and bm25s tokenises every chunk in Python.
FULL_PIPELINE_UP_TO = 1_000_000
NOISE_BLOCK = 100_000  # rows noised at a time, so the noise never doubles the memory of the copies
ADD_REPORT_AT = 100_000  # the corpus size the issue asks "adding one report" for
NOISE = 0.02  # per-dimension Gaussian noise on a replicated vector: copies are near, not equal
FIRST_YEAR, YEARS = 1900, 200  # copy i of the corpus is dated in year FIRST_YEAR + i % YEARS
K_INDEX = DEPTH  # the depth Retriever.search asks the vector index for
STARTUP_QUESTION = "How much will supporters pay to vote in the London mayoral primary?"
PROFILE_TOP = 8

_BUILD_CHILD = """
import json, resource, sys, time
from pathlib import Path
from assistant.embed import Embedder
from assistant.build import build
embedder = Embedder()
t0 = time.perf_counter(); embedder.load(); load_s = time.perf_counter() - t0
t0 = time.perf_counter(); index = build(Path(sys.argv[1]), Path(sys.argv[2]), embedder)
build_s = time.perf_counter() - t0
print(json.dumps({"model_load_seconds": load_s, "build_seconds": build_s, "chunks": len(index.chunks),
                  "sentences": len(index.sentence_vectors), "decisions": len(index.decisions),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# ---------------------------------------------------------------- helpers

def percentiles(seconds: list[float]) -> dict:
    """p50/p95 in milliseconds; p95 by nearest rank so a small sample never interpolates past its max."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2), "n": len(ordered)}


def timings(fn: Callable, inputs: list) -> list[float]:
    """Wall time of fn(x) for each input, one call at a time (a single client)."""
    out = []
    for x in inputs:
        started = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - started)
    return out


def rss_bytes() -> int:
    """Resident set size now; the RSS delta around a build approximates the index's memory."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def threads(n: int) -> Iterator[None]:
    """FAISS (OpenMP) limited to n threads: on a shared CPU, 2 threads spin-waiting at OpenMP
    barriers can cost far more than the work they split. (The model's threads are set per
    `Embedder(threads=n)`.)"""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def child_env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def eval_questions(limit: int | None = None) -> list[Question]:
    """The eval questions, read once as the service reads them, so no timing includes the reading."""
    return [Question.read(item.question) for item in load_qa(QA)[:limit]]


def broad_questions(limit: int | None = None) -> list[Question]:
    """eval/broad.jsonl's questions read as broad: their answers weigh every sentence of 30 passages by its
    words' senses, a longer path than a specific question's."""
    return [q for q in (Question.read(item.question) for item in load_broad(BROAD)) if q.broad][:limit]


# ---------------------------------------------------------------- 1. build and encoding

def measure_build(index_dir: Path) -> dict:
    """Build the real corpus in a child process, so its peak RSS is the build's alone."""
    done = subprocess.run([sys.executable, "-c", _BUILD_CHILD, str(CORPUS), str(index_dir)], cwd=ROOT,
                          env=child_env(), capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["chunks_per_second"] = round(result["chunks"] / result["build_seconds"], 1)
    return result


def measure_encoding(embedder: Embedder, texts: list[str]) -> dict:
    """Batched vs one-at-a-time encoding, and 1 vs 2 model threads, on the same chunk texts."""
    embedder.encode(texts[:8])  # load and warm the model
    default = embedder.threads
    out: dict = {"texts": len(texts), "default_threads": default}
    started = time.perf_counter()
    for text in texts:
        embedder.encode([text], batch_size=1)
    out["unbatched_chunks_per_second"] = round(len(texts) / (time.perf_counter() - started), 1)
    for n in (1, 2):
        sized = embedder if n == embedder.threads else Embedder(threads=n)
        sized.encode(texts[:8])
        started = time.perf_counter()
        sized.encode(texts)
        out[f"batched_threads_{n}_chunks_per_second"] = round(len(texts) / (time.perf_counter() - started), 1)
    out["batched_chunks_per_second"] = out[f"batched_threads_{min(default, 2)}_chunks_per_second"]
    out["batched_over_unbatched"] = round(out["batched_chunks_per_second"] / out["unbatched_chunks_per_second"], 2)
    out["faster_threads"] = 1 if out["batched_threads_1_chunks_per_second"] > out["batched_threads_2_chunks_per_second"] else 2
    return out


# ---------------------------------------------------------------- 2. start-up, 3. real queries

def measure_startup(index_dir: Path) -> dict:
    """Wall time of a fresh `nec-assistant ask` on a built index: imports, model load, index load, answer."""
    command = [str(Path(sys.executable).parent / "nec-assistant"), "ask", STARTUP_QUESTION,
               "--corpus", str(CORPUS), "--index", str(index_dir)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=child_env(), capture_output=True, text=True, check=True)
    return {"seconds": round(time.perf_counter() - started, 2), "answer": done.stdout.strip().splitlines()[0][:120]}


def measure_queries(retriever: Retriever, questions: list[Question], broad: list[Question], warmup: int) -> dict:
    """Single-client latency of encode, search and answer on the real index, model warm; and of answering
    broad questions."""
    for q in questions[:warmup]:
        answer(q, retriever)
    vectors: list[np.ndarray] = []
    encode = timings(lambda q: vectors.append(retriever.embedder.encode([q.text])), questions)
    one_thread = Embedder(threads=1)
    one_thread.encode([q.text for q in questions[:warmup]])
    encode_1 = timings(lambda q: one_thread.encode([q.text]), questions)
    return {
        "questions": len(questions),
        "encode": percentiles(encode),
        "encode_1_thread": percentiles(encode_1),
        "search": percentiles(timings(retriever.search, questions)),
        "search_preencoded": percentiles(timings(lambda i: retriever.search(questions[i], query_vector=vectors[i]),
                                                 list(range(len(questions))))),
        "answer": percentiles(timings(lambda q: answer(q, retriever), questions)),
        "answer_broad": percentiles(timings(lambda q: answer(q, retriever), broad)),
        "query_vectors": np.vstack(vectors),
    }


# ---------------------------------------------------------------- 4. synthetic scale

def noisy_copies(base: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """base[rows] plus Gaussian noise, renormalised: unit vectors near, not on, the real ones."""
    out = base[rows]
    for start in range(0, len(out), NOISE_BLOCK):
        block = out[start:start + NOISE_BLOCK]
        block += rng.standard_normal(block.shape, dtype=np.float32) * np.float32(NOISE)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthetic_vectors(real: Index, n: int, seed: int = 0) -> np.ndarray:
    """n chunk vectors: the real ones repeated in order, each copy noised."""
    base = real.faiss_index.reconstruct_n(0, real.faiss_index.ntotal)
    return noisy_copies(base, np.arange(n) % len(base), np.random.default_rng(seed))


def synthetic_corpus(real: Index, n: int) -> tuple[list[Chunk], dict[str, Report]]:
    """n chunks: the real ones repeated, each copy of a report under its own source and year, so
    dates, sources and chunk ids differ while the text (and so BM25) stays real."""
    chunks: list[Chunk] = []
    reports: dict[str, Report] = {}
    for copy in range(-(-n // len(real.chunks))):
        for c in real.chunks[:n - copy * len(real.chunks)]:
            source = f"{copy:06d}_{c.source}"
            if source not in reports:
                original = real.reports[c.source]
                date = dataclasses.replace(original.meeting_date, year=FIRST_YEAR + copy % YEARS)
                reports[source] = dataclasses.replace(original, source=source, meeting_date=date)
            date = reports[source].meeting_date
            chunks.append(dataclasses.replace(c, chunk_id=f"{copy:06d}_{c.chunk_id}", source=source,
                                              meeting_date=date.iso(), meeting_label=date.human()))
    return chunks, reports


def synthetic_index(real: Index, n: int, vectors: np.ndarray, faiss_index: faiss.Index, chosen: dict,
                    seed: int = 1) -> Index:
    """An in-memory Index of n chunks without the embedding model; sentence vectors replicated and noised. Their
    words' senses are left out: search never reads them, and at a million chunks they would take ~35 GB."""
    chunks, reports = synthetic_corpus(real, n)
    rows = real.sentence_ids([i % len(real.chunks) for i in range(n)])
    sentences = noisy_copies(real.sentence_vectors, rows, np.random.default_rng(seed))
    manifest = {**real.manifest, "faiss_index": chosen, "chunk_count": n, "report_count": len(reports),
                "dimensions": int(vectors.shape[1]), "synthetic": True,
                "segments": [{"id": "0000", "chunks": n, "sentences": len(sentences)}]}
    return Index(manifest, chunks, reports, [], faiss_index, sentences,
                 np.zeros((0, vectors.shape[1]), dtype=np.float32),
                 Senses([[] for _ in rows], np.zeros((0, vectors.shape[1]), dtype=np.float16)))


def index_only(vectors: np.ndarray, queries: np.ndarray, reps: int) -> tuple[faiss.Index, dict, dict]:
    """The size-chosen vector index against exact search: build time, size, latency at k=100, recall@10."""
    before = rss_bytes()
    started = time.perf_counter()
    chosen_index, chosen = ann.vector_index(vectors)
    chosen_index = ann.prepare(chosen_index, chosen)
    build_seconds = time.perf_counter() - started
    rss_delta = rss_bytes() - before
    exact = chosen_index if chosen["exact"] else ann.exact_index(vectors)
    one_at_a_time = [queries[i:i + 1] for i in range(len(queries))] * reps
    _, exact_ids = exact.search(queries, 10)
    with tempfile.NamedTemporaryFile(suffix=".faiss") as fh:
        faiss.write_index(chosen_index, fh.name)
        disk = os.path.getsize(fh.name)
    figures = {
        "build_seconds": round(build_seconds, 2),
        "disk_bytes": disk,
        "vector_bytes": int(vectors.nbytes),
        "rss_delta_bytes": int(rss_delta),
        "exact": percentiles(timings(lambda q: exact.search(q, K_INDEX), one_at_a_time)),
        "chosen": percentiles(timings(lambda q: chosen_index.search(q, K_INDEX), one_at_a_time)),
    }
    with threads(1):
        figures["chosen_1_thread"] = percentiles(timings(lambda q: chosen_index.search(q, K_INDEX), one_at_a_time))
    figures |= {
        "recall_at_10": round(ann.recall_at_10(chosen_index, exact_ids, queries), 4),
    }
    return chosen_index, chosen, figures


def scale_point(real: Index, embedder: Embedder, n: int, questions: list[Question], queries: np.ndarray,
                reps: int = 1, full_up_to: int = FULL_PIPELINE_UP_TO) -> tuple[dict, Retriever | None]:
    """All figures for one synthetic size; the full pipeline only up to `full_up_to` chunks."""
    started = time.perf_counter()
    vectors = synthetic_vectors(real, n)
    result: dict = {"n": n, "vector_seconds": round(time.perf_counter() - started, 2)}
    faiss_index, chosen, result["index"] = index_only(vectors, queries, reps)
    result["manifest"] = chosen
    if n > full_up_to:
        result["full_pipeline"] = False
        result["note"] = (f"index only: Retriever.search not run above {full_up_to:,} chunks (--full-up-to); "
                          f"sentence vectors and BM25 over {n:,} chunks take minutes and gigabytes to build")
        return result, None
    started = time.perf_counter()
    index = synthetic_index(real, n, vectors, faiss_index, chosen)
    result["index_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    retriever = Retriever(index, embedder)
    result["bm25_seconds"] = round(time.perf_counter() - started, 2)
    items = list(range(len(questions))) * reps
    retriever.search(questions[0], query_vector=queries[:1])  # warm caches
    result["search"] = percentiles(timings(lambda i: retriever.search(questions[i], query_vector=queries[i:i + 1]),
                                           items))
    with threads(1):
        result["search_1_thread"] = percentiles(
            timings(lambda i: retriever.search(questions[i], query_vector=queries[i:i + 1]), items))
    result["full_pipeline"] = True
    return result, retriever


def measure_add_report(big: Index, real: Index, embedder: Embedder, chunks_per_second: float,
                       encode_per_second: float) -> dict:
    """Add one real report (under a new source) to the big index as `build` does: the index in
    service loaded from disk, `embed_chunks(reuse=...)`, then `save` beside it."""
    source = next(iter(real.reports))
    report = dataclasses.replace(real.reports[source], source=f"new_{source}")
    new_chunks = [dataclasses.replace(c, source=report.source, chunk_id=f"new_{c.chunk_id}")
                  for c in real.chunks if c.source == source]
    with tempfile.TemporaryDirectory() as tmp:
        save(big, Path(tmp))
        started = time.perf_counter()
        in_service = load(Path(tmp))
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        grown = embed_chunks(list(big.reports.values()) + [report], new_chunks, embedder, big.manifest,
                             reuse=in_service)
        embed_seconds = time.perf_counter() - started
        started = time.perf_counter()
        save(grown, Path(tmp))
        save_seconds = time.perf_counter() - started
    return {
        "n": len(big.chunks), "new_chunks": len(new_chunks), "load_seconds": round(load_seconds, 2),
        "embed_seconds": round(embed_seconds, 2), "save_seconds": round(save_seconds, 2),
        "seconds": round(embed_seconds + save_seconds, 2),
        "rebuild_estimate_seconds": round(len(grown.chunks) / chunks_per_second, 1),
        "rebuild_encode_only_seconds": round(len(grown.chunks) / encode_per_second, 1),
    }


# ---------------------------------------------------------------- 5. profile

def profile_search(retriever: Retriever, questions: list[Question], queries: np.ndarray) -> list[dict]:
    """cProfile of Retriever.search over the questions: the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i, q in enumerate(questions):
        retriever.search(q, query_vector=queries[i:i + 1])
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    rows = []
    for key in stats.fcn_list[:PROFILE_TOP]:
        _, calls, own, cumulative, _ = stats.stats[key]
        filename, line, name = key
        where = f"{Path(filename).name}:{line}({name})" if line else name
        rows.append({"function": where, "calls": calls, "own_ms_per_search": round(own * 1000 / len(questions), 2),
                     "cumulative_ms_per_search": round(cumulative * 1000 / len(questions), 2)})
    return rows


# ---------------------------------------------------------------- what the figures were measured under

def environment() -> dict:
    import onnxruntime
    import torch

    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "load_1min": os.getloadavg()[0],
            "platform": platform.platform(terse=True), "python": platform.python_version(),
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "faiss": faiss.__version__}


def settings() -> dict:
    """The settings the figures were measured under, kept with them so that bench/report.py can
    describe a run from its JSON alone."""
    return {"k_index": K_INDEX, "batch_size": BATCH_SIZE, "startup_question": STARTUP_QUESTION, "noise": NOISE,
            "exact_up_to": ann.EXACT_UP_TO, "target_recall": ann.TARGET_RECALL, "add_report_at": ADD_REPORT_AT}


# ---------------------------------------------------------------- main

def run(sizes: list[int], quick: bool, full_up_to: int, log: Callable[[str], None]) -> dict:
    """Every measurement, in an order where each uses what the last produced."""
    results: dict = {"environment": environment(), "settings": settings(), "sizes": sizes, "quick": quick}
    reps = 1 if quick else 2
    with tempfile.TemporaryDirectory(prefix="nec-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        log("building the real corpus in a child process…")
        results["build"] = measure_build(index_dir)
        real = load(index_dir)
        embedder = Embedder()
        log("encoding: batched vs unbatched, 1 vs 2 threads…")
        results["encoding"] = measure_encoding(embedder, [c.embedding_text() for c in real.chunks])
        log("start-up to first answer…")
        results["startup"] = measure_startup(index_dir)
    questions = eval_questions(20 if quick else None)
    log(f"query latency on the real index over {len(questions)} questions…")
    queries = measure_queries(Retriever(real, embedder), questions, broad_questions(10 if quick else None), warmup=5)
    vectors = queries.pop("query_vectors")
    results["queries"] = queries
    results["scale"] = []
    largest: tuple[int, Retriever] | None = None
    for n in sizes:
        log(f"synthetic scale: {n:,} chunks…")
        point, retriever = scale_point(real, embedder, n, questions, vectors, reps, full_up_to)
        results["scale"].append(point)
        if retriever:
            if n == ADD_REPORT_AT:
                log("adding one report…")
                results["add_report"] = measure_add_report(retriever.index, real, embedder,
                                                           results["build"]["chunks_per_second"],
                                                           results["encoding"]["batched_chunks_per_second"])
            largest = (n, retriever)
        del retriever  # the largest full-pipeline retriever stays alive through `largest` only
    if largest:
        n, retriever = largest
        log(f"profiling Retriever.search at {n:,} chunks…")
        results["profile"] = {"n": n, "questions": len(questions), "rows": profile_search(retriever, questions, vectors)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES),
                        help="synthetic corpus sizes in chunks, comma-separated (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10000 chunks only, fewer repetitions")
    parser.add_argument("--full-up-to", type=int, default=FULL_PIPELINE_UP_TO,
                        help="largest size measured through Retriever.search; above it the vector index alone "
                             "(default %(default)s)")
    parser.add_argument("--out", type=Path, default=DOCS,
                        help="folder for benchmarks.json, benchmarks.md and the chart (default %(default)s)")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results = run(sizes, args.quick, args.full_up_to, log)
    results["verdicts"] = verdicts(results)
    results["command"] = " ".join(sys.argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "benchmarks.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(console(results))
    print("\nwrote " + ", ".join(map(str, [json_path, *render(results, json_path)])))

if __name__ == "__main__":
    main()
