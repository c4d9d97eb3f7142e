"""Answer times with several people chatting at once, through the running app's API.

Starts the real web app on a local port (index built or loaded from corpus/ → index/), then
N clients each ask their questions one after another with gradio_client, all clients at once.
Prints p50/p95/max answer time and any errors or wrong answers.

    .venv/bin/python bench/chat_load.py --clients 8 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from assistant.app import build_app, launch  # noqa: E402
from assistant.embed import Embedder  # noqa: E402
from assistant.index import open_index  # noqa: E402
from assistant.retrieve import Retriever  # noqa: E402
from conftest import free_port  # noqa: E402

QUESTIONS = [
    ("How many Refounding Labour Fund bids were approved?", "2013-07-16"),
    ("Who was re-elected Party Treasurer?", "2012-05-29"),
    ("What will supporters pay to vote in the mayoral primary?", "2014-11-04"),
    ("When will the 2013 conference start and finish?", "2012-11-27"),
    ("Who was on the NEC boundary taskforce?", "2011-11-01"),
    ("What share of the vote did we get in the English local elections in 2012?", "2012-05-29"),
    ("How many trainee organisers were put into battleground seats?", "2014-11-04"),
    ("How many target seats had selected candidates by July 2013?", "2013-07-16"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="questions each client asks in turn")
    args = parser.parse_args()

    embedder = Embedder()
    retriever = Retriever(open_index(ROOT / "corpus", ROOT / "index", embedder), embedder)
    demo = build_app(retriever)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=None, block=False)

    def client(n: int) -> list[tuple[float, bool]]:
        api = Client(url, verbose=False)
        out = []
        for r in range(args.rounds):
            question, date = QUESTIONS[(n + r) % len(QUESTIONS)]
            started = time.perf_counter()
            result = api.predict(question, "", "", "", api_name="/answer")
            out.append((time.perf_counter() - started, any(c["meeting_date"] == date for c in result["citations"])))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = [t for per_client in pool.map(client, range(args.clients)) for t in per_client]
    wall = time.perf_counter() - started
    demo.close()
    times = sorted(t for t, _ in results)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"{args.clients} concurrent clients × {args.rounds} questions = {len(times)} answers in {wall:.1f} s")
    print(f"answer time  p50 {statistics.median(times) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   "
          f"max {times[-1] * 1000:.0f} ms")
    print(f"answers quoting the expected meeting: {sum(ok for _, ok in results)}/{len(results)}")


if __name__ == "__main__":
    main()
