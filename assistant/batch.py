"""Many questions in one process: one per line in, one JSON line out, in input order.

The model and index load once, so a file of questions costs little more than one. A line that
cannot be asked (not UTF-8, longer than the model reads) becomes an `error` line and the run
goes on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .embed import Embedder


@dataclass(frozen=True)
class Line:
    """One question of a questions file, with its line number and why it cannot be asked, if so."""

    line: int
    text: str
    error: str | None = None


def read_questions(source: str) -> list[Line]:
    """Questions from a file, or standard input for '-'; blank lines are skipped."""
    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    questions = []
    for n, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            shown = line.decode("utf-8", errors="replace").strip()
            questions.append(Line(n, shown, f"line {n} is not UTF-8 text (byte {exc.start})"))
            continue
        if text:
            questions.append(Line(n, text))
    return questions


def check(question: Line, embedder: Embedder) -> Line:
    """The question, with an error if the model would cut it short."""
    if question.error is None and not embedder.fits(question.text):
        return Line(question.line, question.text,
                        f"line {question.line} is too long: the model reads at most {embedder.max_tokens} tokens")
    return question


def run(questions: list[Line], ask: Callable[[str], dict], embedder: Embedder, out=None,
        progress: bool = False) -> Iterator[dict]:
    """Write one JSON line per question (to standard output by default), in order; yields each record."""
    from tqdm import tqdm

    out = out or sys.stdout
    for question in tqdm(questions, desc="questions", unit="q", file=sys.stderr, disable=not progress):
        question = check(question, embedder)
        if question.error:
            record = {"question": question.text, "error": question.error}
        else:
            record = ask(question.text)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        yield record
