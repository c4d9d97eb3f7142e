"""The sentence embedding model: all-mpnet-base-v2 run by ONNX Runtime, loaded once, offline.

The model's files come from site-packages, checked against upstream (see `weights`), so nothing
is fetched from a model hub. It replaced all-MiniLM-L6-v2 because it finds the right passage first
far more often on our eval (README, "Choosing the model"). ONNX Runtime, rather than torch through
sentence-transformers, encodes a question about three times faster (docs/benchmarks.md) and gives the same vectors
as sentence-transformers' own `encode` (mean of the token vectors, then unit length), which
`tests/test_embed.py` checks.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .weights import MODEL_NAME, model_dir, onnx_model

# Texts per ONNX Runtime call. Small batches of like-length texts beat large ones on this CPU
# (bench/benchmark.py measures batch sizes; figures in docs/benchmarks.md).
BATCH_SIZE = 4
# Questions asked at once are encoded together, up to this many a call (see `_encode_one`).
QUESTIONS_AT_ONCE = 8


@dataclass
class _Waiting:
    """A text waiting to be encoded, and its vector once it is (or why the call encoding it failed)."""
    text: str
    vector: np.ndarray | None = None
    failed: BaseException | None = None


class Embedder:
    """Encodes text to unit vectors, so inner product is cosine similarity."""

    name = MODEL_NAME

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or min(os.cpu_count() or 1, 2)
        # One encode at a time: ONNX Runtime already spreads one over the cores, and concurrent
        # calls from the web app's worker threads only fight over them.
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []  # single texts queued behind the encode in progress
        self._queue_lock = threading.Lock()

    @cached_property
    def _folder(self):
        return model_dir()

    @cached_property
    def tokenizer(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self._folder)

    @cached_property
    def session(self):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning, as OMP_WAIT_POLICY=PASSIVE does for torch and FAISS.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(str(onnx_model(self._folder)), options, providers=["CPUExecutionProvider"])

    def load(self) -> None:
        """Load everything now rather than on the first question."""
        self.tokenizer, self.session

    @cached_property
    def dimensions(self) -> int:
        return int(json.loads((self._folder / "config.json").read_text())["hidden_size"])

    @cached_property
    def max_tokens(self) -> int:
        """The model's input limit in its own word pieces; longer input is cut."""
        return int(json.loads((self._folder / "sentence_bert_config.json").read_text())["max_seq_length"])

    def fits(self, text: str) -> bool:
        """Whether `text` reaches the model whole (special tokens included)."""
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"]) <= self.max_tokens

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE, progress: bool = False) -> np.ndarray:
        """Unit vectors, one row per text; texts of like length are batched together to pad less."""
        if len(texts) == 1 and not progress:
            return self._encode_one(texts[0])[None, :]
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for rows in self._batches(texts, batch_size, progress):
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def encode_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The texts' unit vectors, and for each text a unit vector per (start, end) span of it: the mean of
        the model's token vectors over that span, so a word's vector carries the sense its sentence gives it
        ("house" in "a website to house our efforts" is far from "housing"). From the same call as `encode`."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        per_span = [np.zeros((len(s), self.dimensions), dtype=np.float32) for s in spans]
        for rows in self._batches(texts, BATCH_SIZE, progress):
            out[rows], found = self._run([texts[i] for i in rows], [spans[i] for i in rows])
            for i, vectors in zip(rows, found):
                per_span[i] = vectors
        return out, per_span

    def _batches(self, texts: list[str], batch_size: int, progress: bool):
        """Row numbers of `texts` in batches of like length, holding the model for the whole run."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        with self._lock:
            for start in starts:
                yield order[start:start + batch_size]

    def _encode_one(self, text: str) -> np.ndarray:
        """One text (a question), encoded together with any others asked meanwhile.

        While the model encodes one question, those asked after it queue; whoever takes the model
        next encodes every queued question in one call and hands each its vector. Alone, a question
        waits for nothing; under load, one call for four questions costs about a quarter less CPU
        a question than four calls (README, "Speed and scale"). A call that fails fails every question
        in it, so that none waits for a vector that will not come."""
        mine = _Waiting(text)
        with self._queue_lock:
            self._waiting.append(mine)
        while mine.vector is None and mine.failed is None:
            with self._lock:
                if mine.vector is not None or mine.failed is not None:  # done by whoever held the model before us
                    break
                with self._queue_lock:
                    batch, self._waiting = self._waiting[:QUESTIONS_AT_ONCE], self._waiting[QUESTIONS_AT_ONCE:]
                try:
                    vectors = self._run([w.text for w in batch])
                except Exception as exc:
                    for waiting in batch:
                        waiting.failed = exc
                    raise
                for waiting, vector in zip(batch, vectors):
                    waiting.vector = vector
        if mine.failed is not None:
            raise mine.failed
        return mine.vector

    def _run(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None):
        """One call of the model: the texts' unit vectors (mean of the token vectors, as sentence-transformers);
        with `spans`, also each text's span vectors (see `encode_spans`)."""
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np",
                                return_offsets_mapping=spans is not None)
        mask = tokens["attention_mask"].astype(np.int64)
        hidden = self.session.run(None, {"input_ids": tokens["input_ids"].astype(np.int64), "attention_mask": mask})[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        vectors = _unit(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1))
        if spans is None:
            return vectors
        found = []
        for row, text_spans in enumerate(spans):
            offsets = tokens["offset_mapping"][row]
            real = offsets[:, 1] > offsets[:, 0]  # neither padding nor <s> and </s>
            pooled = np.zeros((len(text_spans), hidden.shape[2]), dtype=np.float32)
            for n, (start, end) in enumerate(text_spans):
                inside = real & (offsets[:, 0] < end) & (offsets[:, 1] > start)
                if inside.any():  # a span cut off by max_tokens keeps a zero vector: it matches nothing
                    pooled[n] = hidden[row, inside].mean(axis=0)
            found.append(_unit(pooled))
        return vectors, found


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
