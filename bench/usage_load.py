"""What logging costs an answer: the same load with the usage log on and with --no-log, in turns.

Starts the real web app on a local port (index built or loaded from corpus/ → index/, the real
model), then 16 clients ask 25 questions each through the API, all at once; in the logged runs a
17th thread marks each answer helpful or not as it reaches the database, as members' thumbs would.
The runs alternate (off, on, off, on, …) so that the machine's drift falls on both. Prints each
run's p50/p95 answer time, and for the logged runs the rows in the database against the answers
given.

    .venv/bin/python -m bench.usage_load               # 2 runs each way
    .venv/bin/python -m bench.usage_load --pairs 3
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

from assistant.app import build_app, launch
from assistant.net import free_port
from assistant.service import Assistant
from assistant.usage_log import UsageLog
from bench.chat_load import QUESTIONS

ROOT = Path(__file__).resolve().parent.parent


def run(assistant: Assistant, usage: UsageLog | None, clients: int, rounds: int) -> dict:
    """One load run; its answer times, and with a log, the rows and marks it holds afterwards."""
    demo = build_app(assistant, usage=usage)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=None, block=False)
    done, marked = threading.Event(), set()

    def give_feedback() -> None:
        db = sqlite3.connect(usage.path)
        while not done.is_set():
            for (qid,) in db.execute("SELECT id FROM questions WHERE helpful IS NULL").fetchall():
                if qid not in marked:
                    marked.add(qid)
                    usage.feedback(qid, len(marked) % 3 != 0, None if len(marked) % 3 else "wrong meeting")
            time.sleep(0.05)
        db.close()

    def client(n: int) -> list[float]:
        api, times = Client(url, verbose=False), []
        for r in range(rounds):
            started = time.perf_counter()
            api.predict(QUESTIONS[(n + r) % len(QUESTIONS)][0], "", "", "", api_name="/answer")
            times.append(time.perf_counter() - started)
        return times

    feedback = threading.Thread(target=give_feedback) if usage else None
    if feedback:
        feedback.start()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        times = sorted(t for ts in pool.map(client, range(clients)) for t in ts)
    figures = {"answers": len(times), "p50_ms": statistics.median(times) * 1000,
               "p95_ms": times[round(0.95 * (len(times) - 1))] * 1000}
    if usage:
        usage.flush()
        done.set()
        feedback.join()
        usage.flush()
        db = sqlite3.connect(usage.path)
        figures["rows"] = db.execute("SELECT count(*) FROM questions").fetchone()[0]
        figures["marks"] = db.execute("SELECT count(*) FROM questions WHERE helpful IS NOT NULL").fetchone()[0]
        figures["marked"] = len(marked)
        db.close()
    demo.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=25, help="questions each client asks in turn")
    parser.add_argument("--pairs", type=int, default=2, help="runs each way, alternating")
    args = parser.parse_args()

    assistant = Assistant.open(ROOT / "corpus", ROOT / "index")
    p95 = {"--no-log": [], "logged": []}
    for pair in range(args.pairs):
        for way in p95:
            with tempfile.TemporaryDirectory(prefix="nec-usage-bench-") as data:
                usage = UsageLog(Path(data)) if way == "logged" else None
                f = run(assistant, usage, args.clients, args.rounds)
                if usage:
                    usage.close()
            p95[way].append(f["p95_ms"])
            rows = (f"   rows {f['rows']} for {f['answers']} answers, marks {f['marks']} of {f['marked']} given"
                    if usage else "")
            print(f"run {pair + 1} {way:9} {f['answers']} answers   p50 {f['p50_ms']:5.0f} ms   "
                  f"p95 {f['p95_ms']:5.0f} ms{rows}", flush=True)
    off, on = statistics.median(p95["--no-log"]), statistics.median(p95["logged"])
    print(f"median p95: --no-log {off:.0f} ms, logged {on:.0f} ms ({100 * (on / off - 1):+.1f}%)")


if __name__ == "__main__":
    main()
