"""Does the vector index ever need a distributed engine? One machine's figures at a million vectors.

A FAISS exact inner-product index (`IndexFlatIP`, what `assistant.ann` uses up to 200,000 chunks)
and the IVF index `assistant.ann` builds above that, each over N random unit vectors of 768
numbers (all-mpnet-base-v2's size): memory, build time, and the latency of one question at a time
for k=10. The questions are made as `ann` calibrates with: near one corpus vector each (cosine
0.6), so the IVF's recall@10 against exact search means what it means for real questions.
This corpus is 122 chunks; a report every month or two adds ~25, so decades make ~10,000.

    .venv/bin/python bench/million.py                     # 10,000 and 1,000,000 vectors; ~9 GB of RAM at peak
    .venv/bin/python bench/million.py --sizes 10000 --queries 20   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import ann  # noqa: E402  (first: it sets OMP_WAIT_POLICY before OpenMP starts)
from bench.benchmark import percentiles, rss_bytes, threads, timings  # noqa: E402

import faiss  # noqa: E402

DIMENSIONS = 768
K = 10
MIB = 1 << 20
FIXED_NPROBE = 16  # what ann chose at 1M on vectors shaped like the real ones (docs/benchmarks.md)


def unit_vectors(n: int, seed: int = 0, batch: int = 100_000) -> np.ndarray:
    """n random unit vectors, made a batch at a time so that no second n×768 array is ever held."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIMENSIONS), dtype=np.float32)
    for start in range(0, n, batch):
        block = rng.standard_normal((min(batch, n - start), DIMENSIONS), dtype=np.float32)
        out[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def searched(index, queries: np.ndarray, exact_ids: np.ndarray) -> dict:
    """Latency of one question at a time, with FAISS's threads and with one, and recall@10 against exact."""
    one_at_a_time = [queries[i:i + 1] for i in range(len(queries))]
    figures = {"all": percentiles(timings(lambda q: index.search(q, K), one_at_a_time))}
    with threads(1):
        figures["one"] = percentiles(timings(lambda q: index.search(q, K), one_at_a_time))
    return {**figures, "recall": ann.recall_at_10(index, exact_ids, queries)}


def built(make, vectors: np.ndarray) -> tuple:
    """`make(vectors)`, with its build time, the bytes the index holds and the growth of RSS (MiB)."""
    before, started = rss_bytes(), time.perf_counter()
    index, chosen = make(vectors)
    seconds, grown = time.perf_counter() - started, (rss_bytes() - before) / MIB
    held = index.ntotal * index.sa_code_size()  # the vectors
    if isinstance(index, faiss.IndexIVF):
        held += index.ntotal * 8 + index.nlist * index.d * 4  # + each vector's id, the centroids
    return index, chosen, {"build_s": f"{seconds:.1f}", "held": f"{held / MIB:,.0f}", "rss": f"{grown:,.0f}"}


COLUMNS = ("vectors", "index", "held MiB", "RSS MiB", "build s", "p50 ms", "p95 ms", "1 thread p50", "p95",
           "recall@10")
WIDTHS = (11, 30, 10, 9, 9, 9, 9, 14, 9, 11)


def row(n: int, kind: str, build: dict, search: dict) -> str:
    cells = [f"{n:,}", kind, build["held"], build["rss"], build["build_s"], *(
        f"{search[t][p]:.2f}" for t in ("all", "one") for p in ("p50_ms", "p95_ms")), f"{search['recall']:.3f}"]
    return "".join(c.rjust(w) for c, w in zip(cells, WIDTHS))


def run(sizes: list[int], n_queries: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} at the start; FAISS {faiss.__version__}, "
          f"{faiss.omp_get_max_threads()} threads; {DIMENSIONS} float32 numbers a vector; {n_queries} questions, "
          f"one at a time, k={K}.\nheld: the index's vectors, ids and centroids; RSS: this process's growth while "
          "building it; build s: for the IVF, training, adding and choosing nprobe (ann.ivf_index)")
    print("".join(c.rjust(w) for c, w in zip(COLUMNS, WIDTHS)))
    for n in sizes:
        vectors = unit_vectors(n)
        queries = ann.calibration_queries(vectors, n_queries, seed=1)
        flat, _, build = built(lambda v: (ann.exact_index(v), {}), vectors)
        _, exact_ids = flat.search(queries, K)
        print(row(n, "exact (IndexFlatIP)", build, searched(flat, queries, exact_ids)), flush=True)
        del flat  # freed before the IVF is built beside the vectors
        ivf, chosen, build = built(ann.ivf_index, vectors)
        print(row(n, f"IVF{chosen['nlist']} nprobe {chosen['nprobe']}", build, searched(ivf, queries, exact_ids)),
              flush=True)
        if chosen["nprobe"] > FIXED_NPROBE:  # what a smaller nprobe would buy, and cost, on these vectors
            ivf.nprobe = FIXED_NPROBE
            print(row(n, f"same, nprobe {FIXED_NPROBE}", {k: "" for k in build}, searched(ivf, queries, exact_ids)),
                  flush=True)
        del ivf, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="comma-separated vector counts")
    parser.add_argument("--queries", type=int, default=50, help="questions timed per index (default 50)")
    args = parser.parse_args()
    run([int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
