"""Render benchmark figures: verdicts against the targets, console tables, docs/benchmarks.md and the chart.

Reads only the results that bench/benchmark.py measured and wrote to JSON, so the document and
chart can be redone (a new target, a reworded note) without measuring again:

    .venv/bin/python bench/report.py docs/benchmarks.json   # rewrites docs/benchmarks.md and the chart
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN, CHART = "benchmarks.md", "benchmark-latency.png"
THROUGHPUT, THROUGHPUT_CHART = "throughput.json", "throughput.png"  # written by bench/throughput.py
TARGETS = {  # from the issue: (what, limit, unit)
    "search_100k": ("search p95 at 100k chunks", 50.0, "ms"),
    "search_1m": ("search p95 at 1M chunks", 100.0, "ms"),
    "add_report": ("adding one report to a 100k index", 10.0, "s"),
    "startup": ("start-up to first answer", 10.0, "s"),
}


def verdicts(results: dict) -> list[dict]:
    """PASS/MISS against the issue's targets; a target with no measurement says so."""
    scale = {p["n"]: p for p in results["scale"]}
    found: dict[str, tuple[float | None, str]] = {"startup": (results["startup"]["seconds"], "nec-assistant ask")}
    if 100_000 in scale:
        found["search_100k"] = (scale[100_000]["search"]["p95_ms"], "Retriever.search, pre-encoded")
    if 1_000_000 in scale:
        p = scale[1_000_000]
        found["search_1m"] = ((p["search"]["p95_ms"], "Retriever.search, pre-encoded") if p["full_pipeline"]
                              else (p["index"]["chosen"]["p95_ms"], f"vector index only ({p['manifest']['kind']})"))
    if results.get("add_report"):
        found["add_report"] = (results["add_report"]["seconds"], "embed_chunks(reuse=) + save")
    out = []
    for key, (what, limit, unit) in TARGETS.items():
        value, basis = found.get(key, (None, "not measured in this run"))
        status = "----" if value is None else "PASS" if value < limit else "MISS"
        out.append({"target": what, "limit": limit, "unit": unit, "value": value, "basis": basis, "status": status})
    return out


def verdict_lines(results: dict) -> list[str]:
    """The verdicts judged afresh from the figures, so a changed target shows without a rerun."""
    return [f"{v['status']}  {v['target']} < {v['limit']:g} {v['unit']}: "
            + (f"{v['value']:g} {v['unit']}" if v["value"] is not None else "—") + f"  ({v['basis']})"
            for v in verdicts(results)]


def tables(results: dict) -> list[tuple[str, list[str], list[list]]]:
    """The figures as (title, header, rows), shared by the console and docs/benchmarks.md."""
    b, e, s, q = results["build"], results["encoding"], results["startup"], results["queries"]
    batch_size, k = results["settings"]["batch_size"], results["settings"]["k_index"]
    build_rows = [
        ["whole-corpus build (assistant.build.build)", f"{b['build_seconds']:.2f} s",
         f"{b['chunks']} chunks, {b['sentences']} sentences, {b['decisions']} decisions"],
        ["chunks embedded per second (build)", f"{b['chunks_per_second']}", "chunks / build time"],
        ["model load (before build)", f"{b['model_load_seconds']:.2f} s", ""],
        ["peak RSS of the build process", f"{b['peak_rss_mb']:.0f} MB", "ru_maxrss, child process"],
        ["encode unbatched (batch_size=1)", f"{e['unbatched_chunks_per_second']} chunks/s", f"{e['texts']} chunk texts"],
        [f"encode batched (batch_size={batch_size})", f"{e['batched_chunks_per_second']} chunks/s",
         f"{e['batched_over_unbatched']}× unbatched"],
        ["encode batched, 1 thread", f"{e['batched_threads_1_chunks_per_second']} chunks/s", ""],
        ["encode batched, 2 threads", f"{e['batched_threads_2_chunks_per_second']} chunks/s",
         f"faster: {e['faster_threads']} thread(s)"],
        ["start-up to first answer", f"{s['seconds']:.2f} s", "fresh `nec-assistant ask`, index built"],
    ]
    query_rows = [[name, f"{q[key]['p50_ms']:.1f}", f"{q[key]['p95_ms']:.1f}", q[key]["n"]]
                  for name, key in (("encode question", "encode"), ("encode question, 1 thread", "encode_1_thread"),
                                    ("Retriever.search (with encode)", "search"),
                                    ("Retriever.search (pre-encoded)", "search_preencoded"),
                                    ("answer() (with encode)", "answer"),
                                    ("answer() to a broad question (with encode)", "answer_broad"))
                  if key in q]  # results written before broad answers were timed lack the last
    scale_rows = []
    for p in results["scale"]:
        i, m = p["index"], p["manifest"]
        kind = m["kind"] + (f" nlist={m['nlist']} nprobe={m['nprobe']}" if not m["exact"] else "")
        search, search_1 = p.get("search"), p.get("search_1_thread")
        scale_rows.append([
            f"{p['n']:,}", kind,
            f"{search['p50_ms']:.1f} / {search['p95_ms']:.1f}" if search else "not run (index only)",
            f"{search_1['p50_ms']:.1f} / {search_1['p95_ms']:.1f}" if search_1 else "—",
            f"{i['exact']['p50_ms']:.1f} / {i['exact']['p95_ms']:.1f}",
            f"{i['chosen']['p50_ms']:.1f} / {i['chosen']['p95_ms']:.1f}",
            f"{i['chosen_1_thread']['p50_ms']:.1f} / {i['chosen_1_thread']['p95_ms']:.1f}",
            f"{i['recall_at_10']:.3f}", f"{i['build_seconds']:.1f}",
            f"{i['disk_bytes'] / 2**20:.0f}", f"{i['vector_bytes'] / 2**20:.0f} / {i['rss_delta_bytes'] / 2**20:.0f}",
            f"{p['bm25_seconds']:.1f}" if "bm25_seconds" in p else "—",
        ])
    out = [
        ("Build, encoding and start-up (real corpus)", ["what", "value", "notes"], build_rows),
        (f"Query latency on the real index ({q['questions']} questions of eval/qa.jsonl"
         + (f", {q['answer_broad']['n']} broad ones of eval/broad.jsonl" if "answer_broad" in q else "")
         + ", one client, model warm)",
         ["operation", "p50 ms", "p95 ms", "n"], query_rows),
        ("Synthetic scale (real chunks replicated, vectors noised)",
         ["chunks", "vector index", "search p50/p95 ms", "search, 1 thread", f"exact k={k} p50/p95 ms",
          f"chosen k={k} p50/p95 ms", "chosen, 1 thread", "recall@10", "index build s", "index on disk MB",
          "vectors / RSS Δ MB", "BM25 build s"], scale_rows),
    ]
    if results.get("add_report"):
        a = results["add_report"]
        out.append((f"Adding one report to a {a['n']:,}-chunk index", ["what", "seconds"], [
            ["store.load() the index in service (not in the total: once per start or `nec index`, "
             "added report or not)",
             a["load_seconds"]],
            [f"embed_chunks(reuse=big index): {a['new_chunks']} new chunks", a["embed_seconds"]],
            ["store.save() beside it (its segments hard-linked)", a["save_seconds"]], ["total", a["seconds"]],
            [f"full rebuild estimate ({a['n'] + a['new_chunks']:,} chunks at the build's chunks/s)",
             a["rebuild_estimate_seconds"]],
            ["full rebuild lower bound (chunk texts alone at the batched encode rate)",
             a["rebuild_encode_only_seconds"]]]))
    return out


def text_table(header: list[str], rows: list[list]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows])


def profile_text(rows: list[dict]) -> str:
    return text_table(["function", "calls", "own ms/search", "cumulative ms/search"],
                      [[r["function"], r["calls"], r["own_ms_per_search"], r["cumulative_ms_per_search"]]
                       for r in rows])


def write_chart(results: dict, path: Path) -> None:
    """Search p50/p95 against corpus size, log x: the full pipeline and the vector index alone."""
    points, k = results["scale"], results["settings"]["k_index"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    full = [p for p in points if p.get("search")]
    for stat, style in (("p50_ms", "-o"), ("p95_ms", "--o")):
        if full:
            ax.plot([p["n"] for p in full], [p["search"][stat] for p in full], style, color="C0",
                    label=f"Retriever.search {stat[:3]}")
            ax.plot([p["n"] for p in full], [p["search_1_thread"][stat] for p in full], style, color="C2",
                    label=f"Retriever.search, 1 thread {stat[:3]}")
        ax.plot([p["n"] for p in points], [p["index"]["chosen"][stat] for p in points], style, color="C1",
                label=f"vector index alone (k={k}) {stat[:3]}")
    ax.plot([p["n"] for p in points], [p["index"]["exact"]["p95_ms"] for p in points], ":", color="grey",
             label=f"exact IndexFlatIP alone (k={k}) p95")
    for key, n in (("search_100k", 100_000), ("search_1m", 1_000_000)):
        ax.plot([n], [TARGETS[key][1]], "r_", markersize=18, mew=2)
    ax.plot([], [], "r_", markersize=10, mew=2, label="p95 target")
    ax.set_xscale("log")
    ax.set_xlabel("corpus size (chunks)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Search latency vs corpus size (one client, question pre-encoded)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def throughput_rows(t: dict) -> list[list]:
    return [[r["endpoint"], r["clients"], r["answers_per_s"], r["p50_ms"], r["p95_ms"], r["max_ms"],
             r.get("server_cpu_ms", "—"), r["answers"], r["errors"]] for r in t["runs"]]


def where_the_time_goes(t: dict) -> list[str]:
    """The model's share of each answer's CPU, from the figures: what the targets run into."""
    encode = t.get("encode")
    api = next((r for r in t["runs"] if r["endpoint"] == "api" and r["clients"] == 8 and r.get("server_cpu_ms")), None)
    if not encode or not api:
        return []
    ceiling = 1000 * t["cpus"] / api["server_cpu_ms"]
    return [
        f"Where the time goes: encoding one question with the model alone took p50 {encode['p50_ms']:g} ms "
        f"({encode['cpu_ms']:g} ms of CPU, {encode['threads']} threads) in the same run, with nothing else running. "
        f"At 8 clients through the API the server spent {api['server_cpu_ms']:g} ms of CPU per answer, so "
        f"{t['cpus']} cores give at most {ceiling:.0f} answers a second; retrieval, the answer and HTTP are the "
        "rest (`answer()` without the encode: ~3 ms). Gradio's queue and event stream cost more CPU per answer "
        "than the plain API (the table's last columns).",
        "",
    ]


def throughput_verdicts(t: dict) -> list[str]:
    """PASS/MISS for the issue's throughput targets, judged from the figures."""
    lines = []
    for endpoint, target in t["targets"].items():
        run = next((r for r in t["runs"] if r["endpoint"] == endpoint and r["clients"] == target["clients"]), None)
        if run is None:
            lines.append(f"----  {endpoint} at {target['clients']} clients: not measured")
            continue
        if "answers_per_s" in target:
            met = run["answers_per_s"] >= target["answers_per_s"]
            lines.append(f"{'PASS' if met else 'MISS'}  {endpoint} at {target['clients']} clients: answers_per_s "
                         f"≥ {target['answers_per_s']:g}: {run['answers_per_s']:g}")
        met = run["p95_ms"] < target["p95_ms"]
        lines.append(f"{'PASS' if met else 'MISS'}  {endpoint} at {target['clients']} clients: p95_ms "
                     f"< {target['p95_ms']:g}: {run['p95_ms']:g}")
    return lines


def write_throughput_chart(t: dict, path: Path) -> None:
    """Answers per second and p95 against concurrent clients, one line per endpoint."""
    fig, (rate, p95) = plt.subplots(1, 2, figsize=(9, 3.8))
    for endpoint in dict.fromkeys(r["endpoint"] for r in t["runs"]):
        runs = [r for r in t["runs"] if r["endpoint"] == endpoint]
        label = {"api": "POST /api/v1/ask", "gradio": "Gradio /answer"}.get(endpoint, endpoint)
        rate.plot([r["clients"] for r in runs], [r["answers_per_s"] for r in runs], "-o", label=label)
        p95.plot([r["clients"] for r in runs], [r["p95_ms"] for r in runs], "-o", label=label)
    for endpoint, target in t["targets"].items():
        if "answers_per_s" in target:
            rate.plot([target["clients"]], [target["answers_per_s"]], "r_", markersize=18, mew=2)
        p95.plot([target["clients"]], [target["p95_ms"]], "r_", markersize=18, mew=2)
    for ax, title, unit in ((rate, "answers per second", "answers/s"), (p95, "p95 answer time", "ms")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    rate.plot([], [], "r_", markersize=10, mew=2, label="target")
    rate.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def throughput_markdown(t: dict) -> list[str]:
    return [
        f"## Throughput: answers per second through the server ({t['cpus']} CPUs, {t['measured']})",
        "",
        f"`python -m bench.throughput`: the app as its own process (`serve --no-log --read-only`), and from this "
        f"process 1, 8 and 32 clients, each asking the {t['questions']} questions of `eval/qa.jsonl` and "
        f"`eval/holdout.jsonl` one after another for {t['seconds']:g} s, through `POST /api/v1/ask` and through "
        "the chat's Gradio endpoint (`/gradio_api/call/answer`, then its event stream). Times are per answer, "
        "as the client saw them.",
        "",
        "```",
        *throughput_verdicts(t),
        "```",
        "",
        markdown_table(["endpoint", "clients", "answers/s", "p50 ms", "p95 ms", "max ms", "server CPU ms/answer",
                        "answers", "errors"], throughput_rows(t)),
        "",
        f"![answers per second and p95 against clients]({THROUGHPUT_CHART})",
        "",
        *where_the_time_goes(t),
        "What was tried to get closer, and what it gave, is in the README (\"Speed and scale\").",
        "",
    ]


def markdown(results: dict, json_path: Path, throughput: dict | None = None) -> str:
    """docs/benchmarks.md: every table, the chart, the targets, the profile, and how to rerun."""
    env, settings = results["environment"], results["settings"]
    parts = [
        "# Benchmarks",
        "",
        f"Generated by `bench/benchmark.py` on {env['date']} ({env['cpus']} CPUs, {env['platform']}, "
        f"Python {env['python']}, torch {env['torch']}, onnxruntime {env['onnxruntime']}, faiss {env['faiss']}; load average {env['load_1min']:.2f} "
        "at the start). Other processes on the machine slow every figure: compare the ratios within one run.",
        "",
        "Rerun (about 7 minutes and 21 GB of RAM with the 1M-chunk full pipeline; `--full-up-to 100000` "
        "measures only the vector index at 1M; `--quick` is a 1-minute smoke test at 10,000 chunks):",
        "",
        "```sh",
        f".venv/bin/python bench/benchmark.py {results['command']}".rstrip(),
        "```",
        "",
        f"It prints these tables and writes `{json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}`, "
        f"this file and `{CHART}`.",
        "",
        "## Targets",
        "",
        "```",
        *verdict_lines(results),
        "```",
        "",
    ]
    if throughput:
        parts += throughput_markdown(throughput)
    for title, header, rows in tables(results):
        parts += [f"## {title}", "", markdown_table(header, rows), ""]
    parts += [f"![search latency vs corpus size]({CHART})", ""]
    notes = [p["note"] for p in results["scale"] if p.get("note")]
    if notes:
        parts += ["Not measured: " + "; ".join(f"{n}" for n in notes) + ".", ""]
    if results.get("profile"):
        profile = results["profile"]
        parts += ["## Where the time goes", "",
                  f"cProfile of `Retriever.search` at {profile['n']:,} chunks over {profile['questions']} questions "
                  f"(pre-encoded), top {len(profile['rows'])} by cumulative time:",
                  "", "```", profile_text(profile["rows"]), "```", ""]
    parts += [
        "## What was measured",
        "",
        "- **Build**: `assistant.build.build` of `corpus/` into a temporary folder, in a child process "
        "(model loaded first and timed apart); chunks/s is chunks over build time, which also covers "
        "the sentence and decision embeddings. Peak memory is the child's `ru_maxrss`.",
        "- **Encoding**: the chunks' embedding texts encoded one at a time (`batch_size=1`) and in batches "
        f"of {settings['batch_size']}, and batched by an `Embedder(threads=1)` and `(threads=2)` "
        "(ONNX Runtime's intra-op threads).",
        f"- **Start-up**: wall time of a fresh `nec-assistant ask \"{settings['startup_question']}\"` "
        "on the built index "
        "(Python start, imports, model load, index load, BM25 build, answer).",
        "- **Query latency**: each question of `eval/qa.jsonl` (read with `Question.read` beforehand, untimed) "
        "once after a warm-up, one at a time, on the real index; p95 is nearest-rank.",
        "- **Synthetic scale**: the real chunks repeated to N, each copy of a report under its own source "
        f"and year, with chunk and sentence vectors = real vector + N(0, {settings['noise']}²) per dimension, "
        "renormalised; no decisions and no word senses (search reads neither). The vector index is `ann.vector_index` (exact `IndexFlatIP` up to "
        f"{settings['exact_up_to']:,} vectors, IVF above, nprobe calibrated to recall@10 ≥ "
        f"{settings['target_recall']}). "
        "Search latency is `Retriever.search` with the question pre-encoded (encode time is in the query "
        f"table). Index-only: one query per call at k={settings['k_index']}, exact vs the chosen index; "
        "recall@10 of the chosen index against exact on the real questions' vectors; size on disk from "
        "`faiss.write_index`; memory as the vectors' bytes and the RSS change around the index build.",
        "- **Threads**: the \"1 thread\" figures rerun the same encodes with an `Embedder(threads=1)` and the "
        "same searches with `faiss.omp_set_num_threads(1)`. While another process kept this 2-core machine busy, "
        "2 OpenMP threads waiting on each other at barriers made an exact 10k-chunk search take ~15 ms instead of "
        "~0.3 ms (measured while writing this script, not in this run); the model's threads sleep when idle "
        "(`session.intra_op.allow_spinning` off).",
        f"- **Adding one report**: one real report under a new source added to the {settings['add_report_at']:,}-chunk "
        "index as `build` does it: the big index saved and loaded back with `assistant.store`, "
        "`assistant.build.embed_chunks(..., reuse=big_index)` (only the new report's chunks are embedded), "
        "then `store.save()` into the same folder, which hard-links the segments already on disk and writes "
        "one for the new report; the rebuild estimate is the grown chunk count over the build's chunks/s.",
        "",
    ]
    return "\n".join(parts)


def console(results: dict) -> str:
    """The tables, profile, notes and verdicts as the benchmark prints them."""
    parts = [f"\n{title}\n{text_table(header, rows)}" for title, header, rows in tables(results)]
    if results.get("profile"):
        parts.append(f"\nWhere the time goes: Retriever.search at {results['profile']['n']:,} chunks\n"
                     + profile_text(results["profile"]["rows"]))
    parts += [f"\n{p['n']:,} chunks: {p['note']}" for p in results["scale"] if p.get("note")]
    parts.append("\nTargets\n" + "\n".join(verdict_lines(results)))
    return "\n".join(parts)


def render(results: dict, json_path: Path) -> list[Path]:
    """Write the markdown and the chart beside the results' JSON file; returns the paths written."""
    chart, doc, measured = json_path.parent / CHART, json_path.parent / MARKDOWN, json_path.parent / THROUGHPUT
    write_chart(results, chart)
    throughput = json.loads(measured.read_text(encoding="utf-8")) if measured.is_file() else None
    if throughput:
        write_throughput_chart(throughput, json_path.parent / THROUGHPUT_CHART)
    doc.write_text(markdown(results, json_path.resolve(), throughput), encoding="utf-8")
    return [doc, chart] + ([json_path.parent / THROUGHPUT_CHART] if throughput else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, nargs="?", default=ROOT / "docs" / "benchmarks.json",
                        help="results written by bench/benchmark.py (default %(default)s)")
    args = parser.parse_args()
    results = json.loads(args.json.read_text(encoding="utf-8"))
    print(console(results))
    print("\nwrote " + ", ".join(map(str, render(results, args.json))))


if __name__ == "__main__":
    main()
