"""A stand-in for the embedding model in tests of logic the model does not decide.

Chunking, the store, answer selection and conversation behave the same whatever the vectors
are; building an index for those tests with the real 438 MB model costs ~25 s a build. This one
hashes word stems into 256 numbers: deterministic, instant, and near for texts that share words,
so retrieval over it is a crude keyword search. It lives in tests/ and nothing outside tests uses it.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("a an and are as at be by did do for from has have how in is it of on or the to was we "
                       "were what when which who why will with".split())


class StandInEmbedder:
    """The `Embedder` interface over hashed word stems."""

    name = "tests/stand-in-hashed-stems"
    dimensions = 256
    max_tokens = 512

    def load(self) -> None:
        pass

    def fits(self, text: str) -> bool:
        return len(text.split()) <= self.max_tokens

    def encode(self, texts: list[str], batch_size: int = 0, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if word not in _STOPWORDS:
                    out[row, zlib.crc32(word[:5].encode()) % self.dimensions] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0  # unit vectors only, as the real model gives
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_spans(self, texts: list[str], spans: list[list[tuple[int, int]]], progress: bool = False
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """A span's vector is its words' hashed stems, the same wherever it stands, for a model with no context; each
        stem in two places, so that two words share a sense only when both collide, not one in 256."""
        return self.encode(texts), [self._senses([text[a:b] for a, b in text_spans])
                                    for text, text_spans in zip(texts, spans)]

    def _senses(self, spans: list[str]) -> np.ndarray:
        out = np.zeros((len(spans), self.dimensions), dtype=np.float32)
        for row, span in enumerate(spans):
            for word in _WORD.findall(span.lower()) or ["-"]:
                for place in (zlib.crc32, zlib.adler32):  # two unrelated hashes: a salted CRC collides with the CRC
                    out[row, place(word[:5].encode()) % self.dimensions] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)
