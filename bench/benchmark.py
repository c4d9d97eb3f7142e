"""Build, start-up and query figures for the NEC Assistant, measured in one run on this machine.

Measures the index build on the real corpus (time, chunks/s, peak memory, batched vs unbatched
encoding, 1 vs 2 threads), start-up to the first answer, query latency on the real index
over eval/qa.jsonl, and search at synthetic scale (the real chunks replicated with noisy vectors)
for each corpus size. Prints a table and writes docs/benchmarks.json, docs/benchmarks.md and
docs/benchmark-latency.png.

    .venv/bin/python bench/benchmark.py                  # sizes 10000,100000,1000000
    .venv/bin/python bench/benchmark.py --quick          # smoke test: 10000 only, fewer repetitions
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
from assistant.chunking import Chunk  # noqa: E402
from assistant.embed import BATCH_SIZE, Embedder  # noqa: E402
from assistant.evaluate import load_qa  # noqa: E402
from assistant.index import Index, embed, load, save  # noqa: E402
from assistant.ingest import Report  # noqa: E402
from assistant.retrieve import Retriever  # noqa: E402

DOCS = ROOT / "docs"
CORPUS = ROOT / "corpus"
QA = ROOT / "eval" / "qa.jsonl"
SIZES = (10_000, 100_000, 1_000_000)
# Above this many chunks (--full-up-to) only the vector index is measured: the full pipeline holds
# ~2.8 sentence vectors per chunk (4.3 GB at 1M) and bm25s tokenises every chunk in Python.
FULL_PIPELINE_UP_TO = 1_000_000
NOISE_BLOCK = 100_000  # rows noised at a time, so the noise never doubles the memory of the copies
ADD_REPORT_AT = 100_000  # the corpus size the issue asks "adding one report" for
NOISE = 0.02  # per-dimension Gaussian noise on a replicated vector: copies are near, not equal
FIRST_YEAR, YEARS = 1900, 200  # copy i of the corpus is dated in year FIRST_YEAR + i % YEARS
K_INDEX = 100  # the depth Retriever.search asks the vector index for
STARTUP_QUESTION = "How much will supporters pay to vote in the London mayoral primary?"
PROFILE_TOP = 8
TARGETS = {  # from the issue: (what, limit, unit)
    "search_100k": ("search p95 at 100k chunks", 50.0, "ms"),
    "search_1m": ("search p95 at 1M chunks", 100.0, "ms"),
    "add_report": ("adding one report to a 100k index", 10.0, "s"),
    "startup": ("start-up to first answer", 10.0, "s"),
}

_BUILD_CHILD = """
import json, resource, sys, time
from pathlib import Path
from assistant.embed import Embedder
from assistant.index import build
embedder = Embedder()
t0 = time.perf_counter(); embedder.load(); load_s = time.perf_counter() - t0
t0 = time.perf_counter(); index = build(Path(sys.argv[1]), Path(sys.argv[2]), embedder)
build_s = time.perf_counter() - t0
print(json.dumps({"model_load_seconds": load_s, "build_seconds": build_s, "chunks": len(index.chunks),
                  "sentences": len(index.quote_vectors), "decisions": len(index.decisions),
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


def eval_questions(limit: int | None = None) -> list[str]:
    return [item.question for item in load_qa(QA)][:limit]


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


def measure_queries(retriever: Retriever, questions: list[str], warmup: int) -> dict:
    """Single-client latency of encode, search and answer on the real index, model warm."""
    for q in questions[:warmup]:
        answer(q, retriever)
    vectors: list[np.ndarray] = []
    encode = timings(lambda q: vectors.append(retriever.embedder.encode([q])), questions)
    one_thread = Embedder(threads=1)
    one_thread.encode(questions[:warmup])
    encode_1 = timings(lambda q: one_thread.encode([q]), questions)
    return {
        "questions": len(questions),
        "encode": percentiles(encode),
        "encode_1_thread": percentiles(encode_1),
        "search": percentiles(timings(retriever.search, questions)),
        "search_preencoded": percentiles(timings(lambda i: retriever.search(questions[i], query_vector=vectors[i]),
                                                 list(range(len(questions))))),
        "answer": percentiles(timings(lambda q: answer(q, retriever), questions)),
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
    base = real.vectors.reconstruct_n(0, real.vectors.ntotal)
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
    """An in-memory Index of n chunks without the embedding model; sentence vectors replicated and noised."""
    chunks, reports = synthetic_corpus(real, n)
    rows = np.concatenate([real.quote_rows(i % len(real.chunks)) for i in range(n)])
    quotes = noisy_copies(real.quote_vectors, rows, np.random.default_rng(seed))
    manifest = {**real.manifest, "faiss_index": chosen, "chunk_count": n, "report_count": len(reports),
                "dimensions": int(vectors.shape[1]), "synthetic": True,
                "segments": [{"id": "0000", "chunks": n, "sentences": len(quotes)}]}
    return Index(manifest, faiss_index, chunks, reports, quotes, [],
                 np.zeros((0, vectors.shape[1]), dtype=np.float32))


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


def scale_point(real: Index, embedder: Embedder, n: int, questions: list[str], queries: np.ndarray,
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
    service loaded from disk, `embed(reuse=...)`, then `save` beside it."""
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
        grown = embed(list(big.reports.values()) + [report], new_chunks, embedder, big.manifest, reuse=in_service)
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

def profile_search(retriever: Retriever, questions: list[str], queries: np.ndarray) -> list[dict]:
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


# ---------------------------------------------------------------- targets and output

def verdicts(results: dict) -> list[dict]:
    """PASS/MISS against the issue's targets; a target with no measurement says so."""
    scale = {p["n"]: p for p in results["scale"]}
    found: dict[str, tuple[float | None, str]] = {"startup": (results["startup"]["seconds"], "nec-assistant ask")}
    if 100_000 in scale:
        found["search_100k"] = (scale[100_000]["search"]["p95_ms"], "Retriever.search, pre-encoded")
    if 1_000_000 in scale:
        p = scale[1_000_000]
        found["search_1m"] = ((p["search"]["p95_ms"], "Retriever.search, pre-encoded") if p["full_pipeline"]
                              else (p["index"]["chosen"]["p95_ms"], f"vector index only ({p['manifest']['kind']})"))
    if results.get("add_report"):
        found["add_report"] = (results["add_report"]["seconds"], "embed(reuse=) + save")
    out = []
    for key, (what, limit, unit) in TARGETS.items():
        value, basis = found.get(key, (None, "not measured in this run"))
        status = "----" if value is None else "PASS" if value < limit else "MISS"
        out.append({"target": what, "limit": limit, "unit": unit, "value": value, "basis": basis, "status": status})
    return out


def verdict_lines(results: dict) -> list[str]:
    return [f"{v['status']}  {v['target']} < {v['limit']:g} {v['unit']}: "
            + (f"{v['value']:g} {v['unit']}" if v["value"] is not None else "—") + f"  ({v['basis']})"
            for v in results["verdicts"]]


def tables(results: dict) -> list[tuple[str, list[str], list[list]]]:
    """The figures as (title, header, rows), shared by the console and docs/benchmarks.md."""
    b, e, s, q = results["build"], results["encoding"], results["startup"], results["queries"]
    build_rows = [
        ["whole-corpus build (assistant.index.build)", f"{b['build_seconds']:.2f} s",
         f"{b['chunks']} chunks, {b['sentences']} sentences, {b['decisions']} decisions"],
        ["chunks embedded per second (build)", f"{b['chunks_per_second']}", "chunks / build time"],
        ["model load (before build)", f"{b['model_load_seconds']:.2f} s", ""],
        ["peak RSS of the build process", f"{b['peak_rss_mb']:.0f} MB", "ru_maxrss, child process"],
        ["encode unbatched (batch_size=1)", f"{e['unbatched_chunks_per_second']} chunks/s", f"{e['texts']} chunk texts"],
        [f"encode batched (batch_size={BATCH_SIZE})", f"{e['batched_chunks_per_second']} chunks/s",
         f"{e['batched_over_unbatched']}× unbatched"],
        ["encode batched, 1 thread", f"{e['batched_threads_1_chunks_per_second']} chunks/s", ""],
        ["encode batched, 2 threads", f"{e['batched_threads_2_chunks_per_second']} chunks/s",
         f"faster: {e['faster_threads']} thread(s)"],
        ["start-up to first answer", f"{s['seconds']:.2f} s", "fresh `nec-assistant ask`, index built"],
    ]
    query_rows = [[name, f"{q[key]['p50_ms']:.1f}", f"{q[key]['p95_ms']:.1f}", q[key]["n"]]
                  for name, key in (("encode question", "encode"), ("encode question, 1 thread", "encode_1_thread"),
                                    ("Retriever.search (with encode)", "search"),
                                    ("Retriever.search (pre-encoded)", "search_preencoded"),
                                    ("answer() (with encode)", "answer"))]
    scale_rows = []
    for p in results["scale"]:
        i, m = p["index"], p["manifest"]
        kind = m["kind"] + (f" nlist={m['nlist']} nprobe={m['nprobe']}" if not m["exact"] else "")
        search, search_1 = p.get("search"), p.get("search_1_thread")
        scale_rows.append([
            f"{p['n']:,}", kind,
            f"{search['p50_ms']:.1f} / {search['p95_ms']:.1f}" if search else "not run (index only)",
            f"{search_1['p50_ms']:.1f} / {search_1['p95_ms']:.1f}" if search_1 else "—",
            f"{i['exact']['p50_ms']:.1f} / {i['exact']['p95_ms']:.1f}",
            f"{i['chosen']['p50_ms']:.1f} / {i['chosen']['p95_ms']:.1f}",
            f"{i['chosen_1_thread']['p50_ms']:.1f} / {i['chosen_1_thread']['p95_ms']:.1f}",
            f"{i['recall_at_10']:.3f}", f"{i['build_seconds']:.1f}",
            f"{i['disk_bytes'] / 2**20:.0f}", f"{i['vector_bytes'] / 2**20:.0f} / {i['rss_delta_bytes'] / 2**20:.0f}",
            f"{p['bm25_seconds']:.1f}" if "bm25_seconds" in p else "—",
        ])
    out = [
        ("Build, encoding and start-up (real corpus)", ["what", "value", "notes"], build_rows),
        (f"Query latency on the real index ({q['questions']} questions of eval/qa.jsonl, one client, model warm)",
         ["operation", "p50 ms", "p95 ms", "n"], query_rows),
        ("Synthetic scale (real chunks replicated, vectors noised)",
         ["chunks", "vector index", "search p50/p95 ms", "search, 1 thread", f"exact k={K_INDEX} p50/p95 ms",
          f"chosen k={K_INDEX} p50/p95 ms", "chosen, 1 thread", "recall@10", "index build s", "index on disk MB",
          "vectors / RSS Δ MB", "BM25 build s"], scale_rows),
    ]
    if results.get("add_report"):
        a = results["add_report"]
        out.append((f"Adding one report to a {a['n']:,}-chunk index", ["what", "seconds"], [
            ["load() the index in service (not in the total: once per start or `nec index`, added report or not)",
             a["load_seconds"]],
            [f"embed(reuse=big index): {a['new_chunks']} new chunks", a["embed_seconds"]],
            ["save() beside it (its segments hard-linked)", a["save_seconds"]], ["total", a["seconds"]],
            [f"full rebuild estimate ({a['n'] + a['new_chunks']:,} chunks at the build's chunks/s)",
             a["rebuild_estimate_seconds"]],
            ["full rebuild lower bound (chunk texts alone at the batched encode rate)",
             a["rebuild_encode_only_seconds"]]]))
    return out


def text_table(header: list[str], rows: list[list]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows])


def profile_text(rows: list[dict]) -> str:
    return text_table(["function", "calls", "own ms/search", "cumulative ms/search"],
                      [[r["function"], r["calls"], r["own_ms_per_search"], r["cumulative_ms_per_search"]]
                       for r in rows])


def write_chart(results: dict, path: Path) -> None:
    """Search p50/p95 against corpus size, log x: the full pipeline and the vector index alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = results["scale"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    full = [p for p in points if p.get("search")]
    for stat, style in (("p50_ms", "-o"), ("p95_ms", "--o")):
        if full:
            ax.plot([p["n"] for p in full], [p["search"][stat] for p in full], style, color="C0",
                    label=f"Retriever.search {stat[:3]}")
            ax.plot([p["n"] for p in full], [p["search_1_thread"][stat] for p in full], style, color="C2",
                    label=f"Retriever.search, 1 thread {stat[:3]}")
        ax.plot([p["n"] for p in points], [p["index"]["chosen"][stat] for p in points], style, color="C1",
                label=f"vector index alone (k={K_INDEX}) {stat[:3]}")
    ax.plot([p["n"] for p in points], [p["index"]["exact"]["p95_ms"] for p in points], ":", color="grey",
             label=f"exact IndexFlatIP alone (k={K_INDEX}) p95")
    for key, n in (("search_100k", 100_000), ("search_1m", 1_000_000)):
        ax.plot([n], [TARGETS[key][1]], "r_", markersize=18, mew=2)
    ax.plot([], [], "r_", markersize=10, mew=2, label="p95 target")
    ax.set_xscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Search latency vs corpus size (one client, question pre-encoded)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(results: dict, chart: Path, json_path: Path) -> str:
    """docs/benchmarks.md: every table, the chart, the targets, the profile, and how to rerun."""
    env = results["environment"]
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `bench/benchmark.py` on {env['date']} ({env['cpus']} CPUs, {env['platform']}, "
        f"Python {env['python']}, torch {env['torch']}, onnxruntime {env['onnxruntime']}, faiss {env['faiss']}; load average {env['load_1min']:.2f} "
        "at the start). Other processes on the machine slow every figure: compare the ratios within one run.",
        "",
        "Rerun (about 7 minutes and 21 GB of RAM with the 1M-chunk full pipeline; `--full-up-to 100000` "
        "measures only the vector index at 1M; `--quick` is a 1-minute smoke test at 10,000 chunks):",
        "",
        "```sh",
        f".venv/bin/python bench/benchmark.py {results['command']}".rstrip(),
        "```",
        "",
        f"It prints these tables and writes `{json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}`, "
        f"this file and `{chart.name}`.",
        "",
        "## Targets",
        "",
        "```",
        *verdict_lines(results),
        "```",
        "",
    ]
    for title, header, rows in tables(results):
        parts += [f"## {title}", "", markdown_table(header, rows), ""]
    parts += [f"![search latency vs corpus size]({chart.name})", ""]
    notes = [p["note"] for p in results["scale"] if p.get("note")]
    if notes:
        parts += ["Not measured: " + "; ".join(f"{n}" for n in notes) + ".", ""]
    if results.get("profile"):
        parts += ["## Where the time goes", "",
                  f"cProfile of `Retriever.search` at {results['profile']['n']:,} chunks over "
                  f"{results['profile']['questions']} questions (pre-encoded), top {PROFILE_TOP} by cumulative time:",
                  "", "```", profile_text(results["profile"]["rows"]), "```", ""]
    parts += [
        "## What was measured",
        "",
        "- **Build**: `assistant.index.build` of `corpus/` into a temporary folder, in a child process "
        "(model loaded first and timed apart); chunks/s is chunks over build time, which also covers "
        "the sentence and decision embeddings. Peak memory is the child's `ru_maxrss`.",
        "- **Encoding**: the chunks' embedding texts encoded one at a time (`batch_size=1`) and in batches "
        f"of {BATCH_SIZE}, and batched by an `Embedder(threads=1)` and `(threads=2)` (ONNX Runtime's intra-op threads).",
        "- **Start-up**: wall time of a fresh `nec-assistant ask \"" + STARTUP_QUESTION + "\"` on the built index "
        "(Python start, imports, model load, index load, BM25 build, answer).",
        "- **Query latency**: each question of `eval/qa.jsonl` once after a warm-up, one at a time, "
        "on the real index; p95 is nearest-rank.",
        "- **Synthetic scale**: the real chunks repeated to N, each copy of a report under its own source "
        f"and year, with chunk and sentence vectors = real vector + N(0, {NOISE}²) per dimension, "
        "renormalised; no decisions. The vector index is `ann.vector_index` (exact `IndexFlatIP` up to "
        f"{ann.EXACT_UP_TO:,} vectors, IVF above, nprobe calibrated to recall@10 ≥ {ann.TARGET_RECALL}). "
        "Search latency is `Retriever.search` with the question pre-encoded (encode time is in the query "
        f"table). Index-only: one query per call at k={K_INDEX}, exact vs the chosen index; recall@10 of the "
        "chosen index against exact on the real questions' vectors; size on disk from `faiss.write_index`; "
        "memory as the vectors' bytes and the RSS change around the index build.",
        "- **Threads**: the \"1 thread\" figures rerun the same encodes with an `Embedder(threads=1)` and the "
        "same searches with `faiss.omp_set_num_threads(1)`. While another process kept this 2-core machine busy, "
        "2 OpenMP threads waiting on each other at barriers made an exact 10k-chunk search take ~15 ms instead of "
        "~0.3 ms (measured while writing this script, not in this run); the model's threads sleep when idle "
        "(`session.intra_op.allow_spinning` off).",
        f"- **Adding one report**: one real report under a new source added to the {ADD_REPORT_AT:,}-chunk index "
        "as `build` does it: the big index saved and loaded back, `assistant.index.embed(..., reuse=big_index)` "
        "(only the new report's chunks are embedded), then `save()` into the same folder, which hard-links the "
        "segments already on disk and writes one for the new report; the rebuild estimate is the grown chunk "
        "count over the build's chunks/s.",
        "",
    ]
    return "\n".join(parts)


def environment() -> dict:
    import onnxruntime
    import torch

    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "load_1min": os.getloadavg()[0],
            "platform": platform.platform(terse=True), "python": platform.python_version(),
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "faiss": faiss.__version__}


# ---------------------------------------------------------------- main

def run(sizes: list[int], quick: bool, full_up_to: int, log: Callable[[str], None]) -> dict:
    """Every measurement, in an order where each uses what the last produced."""
    results: dict = {"environment": environment(), "sizes": sizes, "quick": quick}
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
    queries = measure_queries(Retriever(real, embedder), questions, warmup=5)
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
    results["verdicts"] = verdicts(results)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES),
                        help="synthetic corpus sizes in chunks, comma-separated (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10000 chunks only, fewer repetitions")
    parser.add_argument("--full-up-to", type=int, default=FULL_PIPELINE_UP_TO,
                        help="largest size measured through Retriever.search; above it the vector index alone "
                             "(default %(default)s)")
    parser.add_argument("--json", type=Path, default=DOCS / "benchmarks.json", help="where to write the figures")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results = run(sizes, args.quick, args.full_up_to, log)
    results["command"] = " ".join(sys.argv[1:])
    for title, header, rows in tables(results):
        print(f"\n{title}\n{text_table(header, rows)}")
    if results.get("profile"):
        print(f"\nWhere the time goes: Retriever.search at {results['profile']['n']:,} chunks\n"
              + profile_text(results["profile"]["rows"]))
    for p in results["scale"]:
        if p.get("note"):
            print(f"\n{p['n']:,} chunks: {p['note']}")
    print("\nTargets\n" + "\n".join(verdict_lines(results)))
    DOCS.mkdir(exist_ok=True)
    chart = DOCS / "benchmark-latency.png"
    write_chart(results, chart)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (DOCS / "benchmarks.md").write_text(markdown(results, chart, args.json.resolve()), encoding="utf-8")
    print(f"\nwrote {args.json}, {DOCS / 'benchmarks.md'}, {chart}")


if __name__ == "__main__":
    main()
