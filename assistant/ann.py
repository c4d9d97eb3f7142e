"""Choose the FAISS index by corpus size: exact search while it is fast enough, IVF above that.

Exact inner-product search reads every vector for every question, so its time grows with the corpus
(docs/benchmarks.md has the figures at 100k and 1M chunks). Above `EXACT_UP_TO` vectors
an inverted-file index (IVF) reads only the `nprobe` clusters nearest the question. `nprobe` is
chosen when the index is built, by measuring recall@10 against exact search on questions made from
the corpus's own vectors. Those stand-in questions are easier than real ones (0.99 on them was 0.95
to 0.96 on the eval's real questions at 1M), so the calibration aims above the 0.95 it must keep.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

EXACT_UP_TO = 200_000  # vectors; exact search is fast enough up to here (docs/benchmarks.md)
TARGET_RECALL = 0.95  # recall@10 against exact search that real questions must keep
CALIBRATION_RECALL = 0.995  # what the stand-in questions must reach, a margin for real ones being harder
CALIBRATION_QUERIES = 200
QUERY_COSINE = 0.6  # how near a calibration question is to the corpus vector it is made from, as real ones are
TRAIN_PER_LIST = 64  # training vectors per IVF list; FAISS warns below 39


def exact_index(vectors: np.ndarray) -> faiss.Index:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return flat


def calibration_queries(vectors: np.ndarray, n: int = CALIBRATION_QUERIES, seed: int = 0) -> np.ndarray:
    """Questions near, not on, the corpus vectors: a question is never a copy of a passage."""
    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)]
    # Noise of norm sqrt(1/c² - 1) on a unit vector leaves cosine c with it, whatever the dimension.
    sigma = math.sqrt((1 / QUERY_COSINE ** 2 - 1) / vectors.shape[1])
    noisy = picked + rng.normal(0, sigma, picked.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def recall_at_10(index: faiss.Index, exact_ids: np.ndarray, queries: np.ndarray) -> float:
    _, ids = index.search(queries, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids)]))


def ivf_index(vectors: np.ndarray, seed: int = 0) -> tuple[faiss.Index, dict]:
    """An IVF index over `vectors` with the smallest nprobe that reaches CALIBRATION_RECALL."""
    n, d = vectors.shape
    nlist = 2 ** round(math.log2(math.sqrt(n)))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    ivf.train(vectors[rng.choice(n, size=min(n, TRAIN_PER_LIST * nlist), replace=False)])
    ivf.add(vectors)
    return ivf, calibrate(ivf, vectors)


def calibrate(ivf: faiss.IndexIVF, vectors: np.ndarray) -> dict:
    """Set the smallest power-of-two nprobe whose recall@10 against exact search reaches CALIBRATION_RECALL."""
    queries = calibration_queries(vectors)
    _, exact_ids = exact_index(vectors).search(queries, 10)
    nprobe = 1
    while True:
        ivf.nprobe = nprobe
        recall = recall_at_10(ivf, exact_ids, queries)
        if recall >= CALIBRATION_RECALL or nprobe >= ivf.nlist:
            break
        nprobe *= 2
    return {"kind": "IVFFlat", "nlist": int(ivf.nlist), "nprobe": nprobe, "recall_at_10": round(recall, 4),
            "calibration_queries": len(queries)}


def vector_index(vectors: np.ndarray) -> tuple[faiss.Index, dict]:
    """The index for this many vectors and what was chosen, for the manifest."""
    if len(vectors) <= EXACT_UP_TO:
        return exact_index(vectors), {"kind": "IndexFlatIP", "exact": True}
    index, chosen = ivf_index(vectors)
    return index, {**chosen, "exact": False}


def prepare(index: faiss.Index, chosen: dict) -> faiss.Index:
    """Make a loaded index ready to search and to hand back its vectors."""
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = chosen["nprobe"]
        index.make_direct_map()
    return index
