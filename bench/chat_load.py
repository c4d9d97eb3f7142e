"""Answer times with several people chatting at once, through the running app's API.

Starts the real web app on a local port (index built or loaded from corpus/ → index/), then
N clients each ask their questions one after another with gradio_client, all clients at once.
Prints p50/p95/max answer time and any errors or wrong answers. With --minutes it is a soak:
the clients keep asking until the time is up, and the server's memory (RSS, this process) is
sampled every 10 s, to show it levels off rather than grows.

    .venv/bin/python bench/chat_load.py --clients 8 --rounds 5
    .venv/bin/python bench/chat_load.py --clients 16 --minutes 10
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

from assistant.app import build_app, launch
from assistant.net import free_port
from assistant.service import Assistant

ROOT = Path(__file__).resolve().parent.parent

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
    parser.add_argument("--minutes", type=float, help="soak: keep asking this long, sampling memory")
    args = parser.parse_args()

    demo = build_app(Assistant.open(ROOT / "corpus", ROOT / "index"))
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=None, block=False)

    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    memory: list[tuple[float, float]] = []  # (seconds since start, RSS MB)
    started = time.perf_counter()

    def sample() -> None:
        while deadline and time.monotonic() < deadline:
            memory.append((time.perf_counter() - started, rss_mb()))
            time.sleep(10)

    def client(n: int) -> list[tuple[float, bool]]:
        api = Client(url, verbose=False)
        out = []
        r = 0
        while (time.monotonic() < deadline) if deadline else r < args.rounds:
            question, date = QUESTIONS[(n + r) % len(QUESTIONS)]
            r += 1
            started = time.perf_counter()
            result = api.predict(question, "", "", "", api_name="/answer")
            out.append((time.perf_counter() - started, any(c["meeting_date"] == date for c in result["citations"])))
        return out

    threading.Thread(target=sample, daemon=True).start()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        results = [t for per_client in pool.map(client, range(args.clients)) for t in per_client]
    wall = time.perf_counter() - started
    demo.close()
    times = sorted(t for t, _ in results)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    asked = f"for {args.minutes:g} minutes" if args.minutes else f"× {args.rounds} questions"
    print(f"{args.clients} concurrent clients {asked} = {len(times)} answers in {wall:.1f} s")
    print(f"answer time  p50 {statistics.median(times) * 1000:.0f} ms   p95 {p95 * 1000:.0f} ms   "
          f"max {times[-1] * 1000:.0f} ms")
    print(f"answers quoting the expected meeting: {sum(ok for _, ok in results)}/{len(results)}")
    if memory:
        later = [mb for t, mb in memory if t >= 120] or [memory[-1][1]]  # after two minutes of warming
        print(f"server RSS  first {memory[0][1]:.0f} MB   at 2 min {later[0]:.0f} MB   max {max(m for _, m in memory):.0f} MB"
              f"   last {memory[-1][1]:.0f} MB   growth after 2 min {later[-1] - later[0]:+.0f} MB")


def rss_mb() -> float:
    """This process's resident memory: the server runs in it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
