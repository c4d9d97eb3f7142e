"""Shared fixtures: the real corpus, the real model and one index built from them per test run, and a
stand-in embedder for the tests that do not depend on the model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.api import routes as api_routes
from assistant.app import build_app, launch
from assistant.build import build
from assistant.embed import Embedder
from assistant.index import Index
from assistant.ingest import Report, read_corpus
from assistant.net import free_port
from assistant.service import Assistant
from stand_in import StandInEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# The five reports we start from and the meetings they record.
MEETINGS = {
    "004_eee83492649532ac.txt": "2011-11-01",
    "001_2b9f1682055ed3d0.txt": "2012-05-29",
    "000_91861b23e65b3d24.txt": "2012-11-27",
    "002_3538ad03228d0549.txt": "2013-07-16",
    "003_f1e80eed3dac3883.txt": "2014-11-04",
}


@pytest.fixture(scope="session")
def reports() -> dict[str, Report]:
    return {r.source: r for r in read_corpus(CORPUS)}


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def stand_in() -> StandInEmbedder:
    """The stand-in embedder, for tests that do not depend on what the model makes of the words."""
    return StandInEmbedder()


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory) -> Path:
    """A private copy of the corpus, so tests never touch the repo's own files."""
    target = tmp_path_factory.mktemp("corpus")
    for path in CORPUS.iterdir():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    """Where the session's index of the real corpus is saved: copy it to start from a built index."""
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def index(corpus_copy: Path, embedder: Embedder, index_dir: Path) -> Index:
    return build(corpus_copy, index_dir, embedder)


@pytest.fixture(scope="session")
def assistant(index: Index, embedder: Embedder) -> Assistant:
    return Assistant(index, embedder)


def private_assistant(folder: Path, corpus_copy: Path, index_dir: Path, embedder: Embedder) -> Assistant:
    """An assistant over its own copy of the corpus and the built index, for a test that changes them."""
    shutil.copytree(corpus_copy, folder / "corpus")
    shutil.copytree(index_dir, folder / "index", symlinks=True)
    return Assistant.open(folder / "corpus", folder / "index", embedder, log=lambda _: None)


@pytest.fixture
def make_corpus(tmp_path: Path):
    """Write report files (name → text) into a fresh corpus folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        corpus = tmp_path / "corpus"
        corpus.mkdir(exist_ok=True)
        for name, content in files.items():
            path = corpus / name
            path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
        return corpus

    return make


@pytest.fixture(scope="session")
def server(assistant):
    """The real app with its JSON API, served on a free local port for the whole test run."""
    demo = build_app(assistant)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=None, block=False, routes=api_routes(assistant))
    yield url
    demo.close()


@pytest.fixture(scope="session")
def postgresql():
    """A real PostgreSQL server on loopback for the whole run (tests/postgresql_server.py): `new_database()` gives
    a test its own database. Skipped where PostgreSQL is not installed, failed instead with NEC_REQUIRE_SERVERS=1."""
    from postgresql_server import started

    with started() as server:
        yield server
