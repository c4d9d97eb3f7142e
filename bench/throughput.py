"""Answers per second, and p50/p95 answer time, at 1, 8 and 32 concurrent clients, through the JSON
API (POST /api/v1/ask) and through the chat's Gradio endpoint (/answer), each for 60 s.

The server runs as its own process (`nec-assistant serve --no-log`, the index in index/), so the
load generator here, one thread per client, never shares its interpreter. Each client asks the
questions of eval/qa.jsonl and eval/holdout.jsonl in turn, from its own starting point, so that
answers are not repeats of one question. The Gradio endpoint is called as any HTTP client would:
POST /gradio_api/call/answer, then read the event stream it names.

    .venv/bin/python -m bench.throughput                 # writes docs/throughput.json and the chart
    .venv/bin/python -m bench.throughput --seconds 5 --clients 1 8 --out /tmp/t.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from assistant.net import free_port

from . import report

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.json"  # report.render puts both in docs/benchmarks.md
QUESTION_FILES = [ROOT / "eval" / "qa.jsonl", ROOT / "eval" / "holdout.jsonl"]
TARGETS = {"api": {"clients": 8, "answers_per_s": 25.0, "p95_ms": 400.0},
           "gradio": {"clients": 8, "p95_ms": 600.0}}


@dataclass
class Run:
    endpoint: str  # "api" or "gradio"
    clients: int
    seconds: float
    answers: int
    errors: int
    answers_per_s: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    server_cpu_ms: float | None = None  # CPU time the server process spent per answer (user + system)


def questions() -> list[str]:
    return [json.loads(line)["question"] for path in QUESTION_FILES
            for line in path.read_text().splitlines() if line.strip()]


def ask_api(http: httpx.Client, question: str) -> bool:
    response = http.post("/api/v1/ask", json={"question": question})
    return response.status_code == 200 and "citations" in response.json()


def ask_gradio(http: httpx.Client, question: str) -> bool:
    """Gradio's two steps: queue the call, then read its result from the event stream."""
    started = http.post("/gradio_api/call/answer", json={"data": [question, "", "", ""]})
    if started.status_code != 200:
        return False
    stream = http.get(f"/gradio_api/call/answer/{started.json()['event_id']}")
    return stream.status_code == 200 and "event: complete" in stream.text


ENDPOINTS: dict[str, Callable[[httpx.Client, str], bool]] = {"api": ask_api, "gradio": ask_gradio}


def load(url: str, endpoint: str, clients: int, seconds: float, asked: list[str]) -> Run:
    """`clients` threads asking one question after another for `seconds`; every answer's time kept."""
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        ask = ENDPOINTS[endpoint]
        with httpx.Client(base_url=url, timeout=120) as http:
            i = n * len(asked) // clients
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    ok = ask(http, asked[i % len(asked)])
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - started
                with lock:
                    if ok:
                        times.append(took)
                    else:
                        errors[0] += 1
                i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    times.sort()

    def pct(p: float) -> float:
        return round(1000 * times[min(len(times) - 1, round(p * (len(times) - 1)))], 1) if times else float("nan")

    return Run(endpoint, clients, round(wall, 1), len(times), errors[0], round(len(times) / wall, 1),
               pct(0.50), pct(0.95), pct(1.0))


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def encode_ms(asked: list[str], n: int = 60) -> dict:
    """One question's encode by the model alone, in this process, nothing else running: the floor under
    every answer, and with the server's CPU per answer, what two cores can give."""
    from assistant.embed import Embedder

    embedder = Embedder()
    embedder.encode(asked[:1])
    times, cpu = [], time.process_time()
    for question in asked[:n]:
        started = time.perf_counter()
        embedder.encode([question])
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return {"p50_ms": round(times[len(times) // 2], 1), "cpu_ms": round(1000 * (time.process_time() - cpu) / n, 1),
            "threads": embedder.threads}


def serve(port: int) -> subprocess.Popen:
    """The app as its own process, serving index/ as it is; returns once /healthz answers."""
    server = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--no-log", "--read-only",
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.kill()
    raise SystemExit("the server did not answer /healthz within 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each run lasts (default 60)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--endpoints", nargs="+", choices=list(ENDPOINTS), default=list(ENDPOINTS))
    parser.add_argument("--url", help="measure a server already running here instead of starting one")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "throughput.json")
    args = parser.parse_args()

    port = free_port()
    server = None if args.url else serve(port)
    url = args.url or f"http://127.0.0.1:{port}"
    asked = questions()
    try:
        for endpoint in args.endpoints:  # warm up: the first answers through each path are slower
            load(url, endpoint, 2, 3, asked)
        runs = []
        for endpoint in args.endpoints:
            for clients in args.clients:
                before = cpu_seconds(server.pid) if server else None
                run = load(url, endpoint, clients, args.seconds, asked)
                if server:
                    run.server_cpu_ms = round(1000 * (cpu_seconds(server.pid) - before) / max(run.answers, 1), 1)
                print(f"{endpoint:7s} {clients:3d} clients: {run.answers_per_s:6.1f} answers/s   p50 {run.p50_ms:6.0f} ms"
                      f"   p95 {run.p95_ms:6.0f} ms   max {run.max_ms:6.0f} ms   errors {run.errors}"
                      f"   server CPU {run.server_cpu_ms} ms/answer", flush=True)
                runs.append(run)
    finally:
        if server:
            server.terminate()
            server.wait(30)
    model = encode_ms(asked)
    print(f"one question's encode alone: p50 {model['p50_ms']} ms, {model['cpu_ms']} ms of CPU ({model['threads']} threads)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
                                    "seconds": args.seconds, "questions": len(asked), "targets": TARGETS, "encode": model,
                                    "runs": [asdict(r) for r in runs]}, indent=2) + "\n")
    print(f"wrote {args.out}")
    if args.out.parent == ROOT / "docs":
        print("wrote " + ", ".join(map(str, report.render(json.loads(BENCHMARKS.read_text()), BENCHMARKS))))


if __name__ == "__main__":
    main()
