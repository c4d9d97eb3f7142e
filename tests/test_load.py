"""Sixteen people asking 25 questions each at once get the answers one person alone gets (issue #7).

The questions are those of eval/qa.jsonl that one client alone already answers from the right
meeting, so a failure here is a fault under concurrency (a crash, a lost or mixed-up reply), not
a retrieval miss. Latency figures go to stdout and test-artifacts/load.json.
"""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

from assistant.evaluate import load_qa
from conftest import ROOT

CLIENTS = 16
ROUNDS = 25
TIME_LIMIT = 180  # seconds for all CLIENTS × ROUNDS answers, on 2 cores
ARTIFACT = ROOT / "test-artifacts" / "load.json"


def _ask(client: Client, question: str) -> dict:
    return client.predict(question, "", "", "", api_name="/answer")


def _correct(result: dict, meeting_date: str) -> bool:
    return not result["abstained"] and any(c["meeting_date"] == meeting_date for c in result["citations"])


@pytest.fixture(scope="module")
def baseline(server: str) -> dict[str, dict]:
    """Question → its single-client answer, for the eval questions answered from the right meeting."""
    client = Client(server, verbose=False)
    answers = {}
    for item in load_qa(ROOT / "eval" / "qa.jsonl"):
        if item.answerable:
            result = _ask(client, item.question)
            if _correct(result, item.meeting_date):
                answers[item.question] = result
    assert len(answers) >= CLIENTS, f"only {len(answers)} eval questions answered right by one client"
    return answers


def test_sixteen_clients_get_the_single_client_answers(server: str, baseline: dict[str, dict]) -> None:
    questions = list(baseline)

    def client(n: int) -> list[tuple[str, float, dict | Exception]]:
        """One person's questions in turn; each starts where the last client's stopped, so all differ."""
        api = Client(server, verbose=False)
        out = []
        for r in range(ROUNDS):
            question = questions[(n * ROUNDS + r) % len(questions)]
            started = time.perf_counter()
            try:
                result: dict | Exception = _ask(api, question)
            except Exception as exc:  # counted and reported below, not allowed to stop the other clients
                result = exc
            out.append((question, time.perf_counter() - started, result))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = [row for rows in pool.map(client, range(CLIENTS)) for row in rows]
    wall = time.perf_counter() - started

    times = sorted(t for _, t, _ in results)
    errors = [f"{q}: {r!r}" for q, _, r in results if isinstance(r, Exception)]
    differing = [q for q, _, r in results if not isinstance(r, Exception) and r != baseline[q]]
    figures = {"clients": CLIENTS, "questions_each": ROUNDS, "answers": len(results),
               "distinct_questions": len(questions), "wall_s": round(wall, 2),
               "p50_ms": round(statistics.median(times) * 1000), "p95_ms": round(times[round(0.95 * (len(times) - 1))] * 1000),
               "max_ms": round(times[-1] * 1000), "errors": len(errors), "differing_answers": len(differing)}
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nload: {figures}")

    assert len(results) == CLIENTS * ROUNDS
    assert not errors, "\n".join(errors[:10])
    assert not differing, f"{len(differing)} answers differ from the single-client answer, e.g. {differing[:3]}"
    assert wall < TIME_LIMIT, f"{len(results)} answers took {wall:.0f} s"
