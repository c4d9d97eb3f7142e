"""Batch questions: one process, one model load, the same hits and answers as one at a time."""

import json

import onnxruntime
import pytest

from assistant.cli import main

QUESTIONS = [
    "How many Refounding Labour Fund bids were approved?",
    "Who is the Party Treasurer?",
    "When will the 2013 conference start and finish?",
]


@pytest.fixture
def loads(monkeypatch):
    """Counts how often the embedding model is loaded (an ONNX Runtime session made)."""
    count = {"n": 0}
    real = onnxruntime.InferenceSession

    class Counting(real):
        def __init__(self, *args, **kwargs):
            count["n"] += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", Counting)
    return count


@pytest.fixture(scope="module")
def paths(corpus_copy, tmp_path_factory):
    index = tmp_path_factory.mktemp("batch-index")
    main(["index", "--corpus", str(corpus_copy), "--index", str(index)])
    return ["--corpus", str(corpus_copy), "--index", str(index)]


def run(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["search", "ask"])
def test_batch_matches_single_questions_in_order_with_one_model_load(command, paths, tmp_path, capsys, loads):
    file = tmp_path / "questions.txt"
    file.write_text(QUESTIONS[0] + "\n\n" + "\n".join(QUESTIONS[1:]) + "\n")
    out = run(capsys, command, "--questions", str(file), *paths)
    assert loads["n"] == 1
    records = [json.loads(line) for line in out.splitlines()]  # nothing but JSON Lines
    assert [r["question"] for r in records] == QUESTIONS
    for record, question in zip(records, QUESTIONS):
        single = json.loads(run(capsys, command, question, "--json", *paths))
        assert record == ({"question": question, "hits": single} if command == "search" else single)


def test_a_bad_line_gets_an_error_and_the_run_goes_on(paths, tmp_path, capsys):
    file = tmp_path / "questions.txt"
    file.write_bytes(b"\xff\xfe not text\n" + ("word " * 400).encode() + b"\n" + QUESTIONS[1].encode() + b"\n")
    records = [json.loads(line) for line in run(capsys, "ask", "--questions", str(file), *paths).splitlines()]
    assert "line 1 is not UTF-8" in records[0]["error"]
    assert "line 2 is too long" in records[1]["error"]
    assert records[2]["question"] == QUESTIONS[1] and "error" not in records[2]
    assert any("Dianna Holland" in c["quote"] for c in records[2]["citations"])


def test_questions_from_standard_input(paths, capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((QUESTIONS[0] + "\n").encode())))
    records = [json.loads(line) for line in run(capsys, "search", "--questions", "-", "--k", "2", *paths).splitlines()]
    assert len(records) == 1 and len(records[0]["hits"]) == 2
    assert "27 bids" in records[0]["hits"][0]["text"]


def test_question_and_file_together_is_refused(paths):
    with pytest.raises(SystemExit, match="either a QUESTION or --questions"):
        main(["ask", "What?", "--questions", "x.txt", *paths])
