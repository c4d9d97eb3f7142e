"""The `nec-assistant` command line: index, add, search, ask, decisions, eval, serve, and the usage log's
insights, feedback export and backup.

A thin shell over `Assistant`: each command parses its arguments, calls one method, and prints.
Heavy imports (the model, FAISS, Gradio) happen inside the commands that need them, so
`--help` and a bad argument answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

from .errors import BadFilter, BadLogin, IndexUnavailable, IngestError, QAFormatError
from .usage_log import KEEP_DAYS, Store, UnusableLog, UsageLog, backup, data_dir, read, store_for


def _paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="folder of report files (default: corpus/)")
    parser.add_argument("--index", type=Path, default=Path("index"), help="index folder (default: index/)")


def _questions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="?")
    parser.add_argument("--questions", metavar="FILE",
                        help="one question per line ('-' for standard input); prints JSON Lines, one per question")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="only meetings on or after DATE (YYYY[-MM[-DD]])")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="only meetings on or before DATE")
    parser.add_argument("--meeting", metavar="DATE", help="only the meeting of DATE (YYYY-MM-DD)")


def _parse_filters(args: argparse.Namespace):
    from .retrieve import Filters

    return Filters.parse(args.meeting, args.date_from, args.date_to)


def _assistant(args: argparse.Namespace, read_only: bool = False):
    from .service import Assistant

    return Assistant.open(args.corpus, args.index, progress=sys.stderr.isatty(), read_only=read_only)


def cmd_index(args: argparse.Namespace) -> None:
    from .build import build
    from .embed import Embedder

    started = time.perf_counter()
    index = build(args.corpus, args.index, Embedder(), log=lambda m: print(m, file=sys.stderr), progress=True,
                  strict=args.strict)
    m = index.manifest
    print(f"indexed {m['chunk_count']} chunks from {m['report_count']} reports in {time.perf_counter() - started:.1f} s "
          f"→ {args.index / 'current'}")
    for report in index.reports.values():
        print(f"  {report.meeting_date.iso():10}  {report.source}  {len(report.sections)} sections  {report.title}")


def _one_or_many(args: argparse.Namespace) -> None:
    if (args.question is None) == (args.questions is None):
        raise SystemExit("nec-assistant: give either a QUESTION or --questions FILE")


def _run_batch(args: argparse.Namespace, assistant, ask) -> None:
    from .batch import read_questions, run

    try:
        questions = read_questions(args.questions)
    except OSError as exc:
        raise SystemExit(f"nec-assistant: cannot read {args.questions}: {exc.strerror}") from None
    for _ in run(questions, ask, assistant.embedder, progress=len(questions) > 1 and sys.stderr.isatty()):
        pass


def cmd_search(args: argparse.Namespace) -> None:
    _one_or_many(args)
    filters = _parse_filters(args)
    assistant = _assistant(args)
    if args.questions:
        _run_batch(args, assistant, lambda q: {
            "question": q, "hits": [h.to_dict() for h in assistant.search(q, k=args.k, filters=filters)]})
        return
    hits = assistant.search(args.question, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for h in hits:
        c = h.chunk
        print(f"{h.rank}. [{h.score:.3f}] {c.label()}  ({c.source})")
        print(textwrap.indent(textwrap.fill(c.text, 100), "   "), end="\n\n")


def cmd_ask(args: argparse.Namespace) -> None:
    _one_or_many(args)
    filters = _parse_filters(args)
    assistant = _assistant(args)
    if args.questions:
        _run_batch(args, assistant, lambda q: assistant.ask(q, filters=filters).to_dict())
        return
    result = assistant.ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.text)


def cmd_decisions(args: argparse.Namespace) -> None:
    filters = _parse_filters(args)
    assistant = _assistant(args)
    chosen = assistant.decisions(args.topic, filters)
    if args.json:
        print(json.dumps([d.to_dict() for d in chosen], ensure_ascii=False, indent=2))
        return
    for d in chosen:
        label = assistant.reports[d.source].meeting_date.human()
        print(f"{label} — {d.section} [{d.topic}]")
        print(textwrap.indent(textwrap.fill(f"“{d.text}”", 100), "   "), end="\n\n")
    print(f"{len(chosen)} decisions", file=sys.stderr)


def _data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=None,
                        help="folder of the usage log (default: $NEC_ASSISTANT_DATA, else data/ beside the corpus)")
    parser.add_argument("--database", default=None, metavar="URL",
                        help="keep the usage log in this PostgreSQL database instead, postgresql://USER@HOST:PORT/DB, "
                             "for several replicas sharing one log (default: $NEC_ASSISTANT_DATABASE, else SQLite "
                             "in --data)")


def _usage_store(args: argparse.Namespace) -> Store:
    return store_for(args.database, data_dir(args.data, args.corpus))


def usage_log(args: argparse.Namespace) -> UsageLog | None:
    """The usage log `serve` writes, or None with --no-log."""
    return None if args.no_log else UsageLog(_usage_store(args), keep_days=args.keep_days)


def cmd_serve(args: argparse.Namespace) -> None:
    from .api import routes
    from .app import build_app, launch

    staff = args.staff or os.environ.get("NEC_ASSISTANT_STAFF")
    usage = usage_log(args)
    try:
        assistant = _assistant(args, args.read_only)
        launch(build_app(assistant, staff, usage, read_only=args.read_only), args.host, args.port, args.auth,
               staff, routes=routes(assistant, usage), api_tokens=args.api_token)
    finally:
        if usage:
            usage.close()


def cmd_insights(args: argparse.Namespace) -> None:
    from .insights import format_insights, summarise
    from .retrieve import Filters

    dates = Filters.parse(None, args.date_from, args.date_to)
    found = summarise(read(_usage_store(args), dates.date_from, dates.date_to), dates.date_from, dates.date_to)
    print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) if args.json else format_insights(found))


def cmd_feedback_export(args: argparse.Namespace) -> None:
    """Without --pick: each not-helpful answer with the passages to pick from. With: the eval items written."""
    from .insights import eval_item, passage_at, write_items

    logged = {q.id: q for q in read(_usage_store(args))}
    picks = []
    for pick in args.pick:
        qid, _, passage = pick.partition("=")
        if qid not in logged:
            raise BadFilter(f"--pick {pick}: no question {qid!r} in the usage log")
        picks.append((logged[qid], passage))
    assistant = _assistant(args)
    if not picks:
        flagged = [q for q in logged.values() if q.helpful is False]
        for q in flagged:
            print(f"{q.id}  {q.asked_at[:10]}  {q.question}" + (f"  — “{q.comment}”" if q.comment else ""))
            for h in assistant.search(q.question, k=args.k):
                print(f"   {h.chunk.source}:{h.chunk.start}  {h.chunk.label()}")
                print(textwrap.indent(textwrap.shorten(h.chunk.text, 200), "      "))
            print()
        print(f"{len(flagged)} answers marked not helpful; write eval questions with "
              f"--pick ID=SOURCE:OFFSET [--pick …]", file=sys.stderr)
        return
    try:
        index = assistant.index
        items = [eval_item(q, index, passage_at(index, passage)) for q, passage in picks]
    except ValueError as exc:
        raise BadFilter(f"--pick {exc}") from None
    total = write_items(items, args.out)
    for item in items:
        print(json.dumps(item, ensure_ascii=False))
    print(f"wrote {len(items)} eval question{'s' * (len(items) != 1)} to {args.out} ({total} there now)",
          file=sys.stderr)


def cmd_backup(args: argparse.Namespace) -> None:
    where = _usage_store(args)
    count = backup(where, args.file)
    print(f"copied {where.name} to {args.file}: {count} questions, {args.file.stat().st_size / 1024:.0f} KB")


def cmd_add(args: argparse.Namespace) -> None:
    import getpass

    from .intake import Facts, preview

    files = []
    for path in args.files:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise IngestError(path, f"cannot read: {exc.strerror}") from None
    facts = Facts(args.date or "", args.title or "", args.author or "", args.url or "")
    if facts.meeting_date:
        from .dates import MeetingDate

        try:
            MeetingDate.parse_iso(facts.meeting_date)
        except ValueError as exc:
            raise BadFilter(f"--date: {exc}") from None
    assistant = _assistant(args)
    started = time.perf_counter()
    staged = assistant.add(files, facts, who=getpass.getuser(), how="command line",
                           log=lambda m: print(m, file=sys.stderr))
    print(preview(staged))
    print(f"added {len(staged)} file{'s' if len(staged) != 1 else ''} to {args.corpus} and the index "
          f"in {time.perf_counter() - started:.1f} s")


def cmd_eval(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from .broad_eval import is_broad
    from .evaluate import evaluate, format_failures, format_table, load_qa, score_extractor, systems, write_report

    if is_broad(args.qa):
        _eval_broad(args)
        return
    items = load_qa(args.qa)
    assistant = _assistant(args)
    results = []
    for name, description, system, ask in systems(assistant.index, assistant.embedder, args.compare):
        with tqdm(total=len(items), desc=name, file=sys.stderr, leave=False, disable=not sys.stderr.isatty()) as bar:
            results.append(evaluate(name, description, system, items, ask=ask, progress=lambda _: bar.update()))
    answerable = sum(i.answerable for i in items)
    if args.json:
        print(json.dumps({r.name: r.metrics for r in results}, indent=2))
    else:
        print(f"{len(items)} questions ({answerable} answerable, {len(items) - answerable} not) from {args.qa}\n")
        print(format_table(results) + "\n")
        print(format_failures(results[-1]))
        if args.decisions.exists():
            print("\n" + score_extractor(args.decisions).summary())
    if args.out:
        for path in write_report(results, args.out, args.qa):
            print(f"wrote {path}", file=sys.stderr)


def _eval_broad(args: argparse.Namespace) -> None:
    """Broad questions: quote precision and meeting coverage, per system with --compare."""
    from .broad_eval import HEADERS, evaluate_broad, format_broad_failures, load_broad
    from .evaluate import systems

    items = load_broad(args.qa)
    assistant = _assistant(args)
    table = {}
    for name, _, system, _ in systems(assistant.index, assistant.embedder, args.compare):
        results, table[name] = evaluate_broad(system, items)
    if args.json:
        print(json.dumps(table, indent=2))
        return
    answerable = sum(i.answerable for i in items)
    print(f"{len(items)} broad questions ({answerable} on topics the reports discuss, {len(items) - answerable} "
          f"not) from {args.qa}\n")
    print("system".ljust(12) + "".join(h.rjust(10) for h in HEADERS.values()))
    for name, metrics in table.items():
        print(name.ljust(12) + "".join(f"{metrics[k]:.3f}".rjust(10) for k in HEADERS))
    print("\nwhere full fell short (+ on topic, - not):\n" + format_broad_failures(results))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nec-assistant", description="Ask questions of NEC meeting reports.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build the index from the corpus")
    p.add_argument("--strict", action="store_true", help="stop at the first report that cannot be read")
    _paths(p)
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("add", help="add report files (web pages, emails, PDF, Word, text) to the corpus and index")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the meeting date, when the report does not say it")
    p.add_argument("--title", help="the report's title, instead of the one found")
    p.add_argument("--author", help="who wrote the report, instead of the one found")
    p.add_argument("--url", help="where the report was published")
    _paths(p)
    p.set_defaults(run=cmd_add)

    p = sub.add_parser("search", help="show the passages nearest a question")
    _questions(p)
    p.add_argument("--k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list, best first")
    _filters(p)
    _paths(p)
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("ask", help="answer a question with quotes and their meeting dates")
    _questions(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    _filters(p)
    _paths(p)
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("decisions", help="list what the committee agreed, oldest first")
    p.add_argument("--topic", help="only decisions about this, matched by meaning")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    _filters(p)
    _paths(p)
    p.set_defaults(run=cmd_decisions)

    p = sub.add_parser("eval", help="measure retrieval on a question/answer set")
    p.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"), help="question/answer file (default eval/qa.jsonl)")
    p.add_argument("--decisions", type=Path, default=Path("eval/decisions.jsonl"),
                   help="hand-judged sentences to score the decision extractor on (default eval/decisions.jsonl)")
    p.add_argument("--compare", action="store_true", help="also run the baselines: BM25, dense, fixed-size chunks")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--out", type=Path, help="write report.json and chart.png here")
    _paths(p)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("serve", help="start the web chat")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1, or $GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860, or $GRADIO_SERVER_PORT)")
    p.add_argument("--auth", default=None,
                   help="require a login, USER:PASSWORD[,USER:PASSWORD…] (default: $NEC_ASSISTANT_AUTH, else none)")
    p.add_argument("--staff", default=None,
                   help="staff logins, USER:PASSWORD[,…], who may add reports and see insights in the web app; "
                        "login is then on for everyone (default: $NEC_ASSISTANT_STAFF, else no staff)")
    p.add_argument("--api-token", default=None, metavar="TOKEN[,TOKEN…]",
                   help="tokens that programs send as 'Authorization: Bearer TOKEN' to use /api/v1; with tokens or "
                        "logins set, the API takes nothing else (default: $NEC_ASSISTANT_API_TOKENS, else none)")
    _data(p)
    p.add_argument("--keep-days", type=int, default=KEEP_DAYS, metavar="DAYS",
                   help=f"delete logged questions older than this at start (default {KEEP_DAYS})")
    p.add_argument("--no-log", action="store_true", help="log no questions and no feedback; no feedback buttons")
    p.add_argument("--read-only", action="store_true",
                   default=os.environ.get("NEC_ASSISTANT_READ_ONLY", "").lower() in ("1", "true", "yes"),
                   help="serve the index in --index as it is, for replicas sharing one: never build, refresh or "
                        "write it, no 'Add a report' tab; a stale index is said and served (default: "
                        "$NEC_ASSISTANT_READ_ONLY=1)")
    _paths(p)
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("insights", help="what members asked: per week, share answered and helpful, topics, "
                                        "unanswered and not-helpful answers")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="only questions asked on or after DATE (UTC)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="only questions asked on or before DATE")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    _data(p)
    _paths(p)
    p.set_defaults(run=cmd_insights)

    p = sub.add_parser("feedback", help="the members' feedback in the usage log")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("export", help="turn not-helpful answers into eval questions: lists them with the "
                                          "passages to pick from; --pick writes them")
    p.add_argument("--pick", action="append", default=[], metavar="ID=SOURCE:OFFSET",
                   help="the passage that should have answered question ID, as listed (repeatable)")
    p.add_argument("--out", type=Path, default=Path("eval/from-members.jsonl"),
                   help="eval file to add them to (default eval/from-members.jsonl)")
    p.add_argument("--k", type=int, default=5, help="passages listed for each answer (default 5)")
    _data(p)
    _paths(p)
    p.set_defaults(run=cmd_feedback_export)

    p = sub.add_parser("backup", help="copy the usage log to FILE, consistently, while the app serves")
    p.add_argument("file", type=Path, metavar="FILE")
    _data(p)
    _paths(p)
    p.set_defaults(run=cmd_backup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    # sqlite3.Error: a usage log that cannot be read, a backup to a folder that is not there
    except (IngestError, IndexUnavailable, QAFormatError, BadFilter, BadLogin, UnusableLog, sqlite3.Error) as exc:
        print(f"nec-assistant: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
