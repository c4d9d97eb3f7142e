"""BM25 keyword search over the chunks, to catch the names and numbers embeddings blur.

Built in memory from the chunk texts when an index loads (a fraction of a second for
thousands of chunks), using the bm25s library with an English stemmer and stopword list.
"""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer

from .chunking import Chunk

_STEMMER = Stemmer.Stemmer("english")


def _tokens(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False)


class BM25Index:
    def __init__(self, chunks: list[Chunk]):
        self.size = len(chunks)
        self.model = bm25s.BM25()
        self.model.index(_tokens([c.embedding_text() for c in chunks]), show_progress=False)

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every chunk for the question (0 where no word matches)."""
        words = bm25s.tokenize([question], stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False)[0]
        if not words:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(words), dtype=np.float32)
