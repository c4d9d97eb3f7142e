"""The usage log while the app serves: no row lost under load, faults that never cost an answer,
privacy, --no-log, and a backup taken mid-run.

The app here answers with the stand-in embedder: what is tested is what reaches the database, not
what the answers say, and the stand-in answers fast, which leaves the writer less time per row."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from gradio_client import Client

from assistant import usage_sqlite
from assistant.app import build_app, launch
from assistant.build import build
from assistant.cli import build_parser, usage_log as cli_usage_log
from assistant.net import free_port
from assistant.service import Assistant
from assistant.usage_log import DB_NAME, Store, UsageLog
from assistant.usage_postgres import PostgresStore
from assistant.usage_sqlite import SQLiteStore
from conftest import ROOT

QUESTIONS = ["Who was re-elected Party Treasurer?", "How many Refounding Labour Fund bids were approved?",
             "What will supporters pay to vote in the mayoral primary?", "how do I bake bread?",
             "When will the 2013 conference start and finish?", "Who was on the NEC boundary taskforce?"]


@pytest.fixture(scope="module")
def small(corpus_copy, stand_in, tmp_path_factory) -> Assistant:
    return Assistant(build(corpus_copy, tmp_path_factory.mktemp("stand-in-index"), stand_in), stand_in)


@contextmanager
def serving(assistant: Assistant, usage: UsageLog | None, auth: str | None = None):
    demo = build_app(assistant, usage=usage)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth=auth, block=False)
    try:
        yield url
    finally:
        demo.close()


def ask(url: str, question: str, auth: tuple[str, str] | None = None) -> dict:
    return Client(url, auth=auth, verbose=False).predict(question, "", "", "", api_name="/answer")


def count(where: Path | Store, condition: str = "TRUE") -> int:
    """Questions in the log's database (the SQLite file at `where`, or a Store) that meet `condition`."""
    with (where if isinstance(where, Store) else SQLiteStore(where)).snapshot() as db:
        return db.execute(f"SELECT count(*) FROM questions WHERE {condition}").fetchone()[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Store:
    """The log in its SQLite file, or in a new database on the test run's PostgreSQL server."""
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "data" / DB_NAME)
    return PostgresStore(request.getfixturevalue("postgresql").new_database())


def test_sixteen_clients_asking_while_feedback_is_written_lose_no_row(small, store):
    clients, rounds = 16, 25
    usage = UsageLog(store)
    marked: dict[str, bool] = {}
    done = threading.Event()

    def give_feedback() -> None:
        """Marks each answer as it appears in the database, the way members' thumbs arrive: mid-run."""
        while not done.is_set():
            with store.snapshot() as db:
                unmarked = db.execute("SELECT id FROM questions WHERE helpful IS NULL").fetchall()
            for (qid,) in unmarked:
                if qid not in marked:
                    marked[qid] = len(marked) % 3 != 0
                    usage.feedback(qid, marked[qid], None if marked[qid] else "didn't answer")
            time.sleep(0.005)

    def client(n: int) -> list[dict | Exception]:
        api = Client(url, verbose=False)
        out = []
        for r in range(rounds):
            question = QUESTIONS[(n + r) % len(QUESTIONS)]
            try:  # half through the chat, half through the API
                out.append(api.predict(question, "", "", "", api_name="/answer") if n % 2 else
                           api.predict(question, [], "", "", "", api_name="/chat"))
            except Exception as exc:  # counted below, not allowed to stop the other clients
                out.append(exc)
        return out

    with serving(small, usage) as url:
        feedback = threading.Thread(target=give_feedback)
        feedback.start()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            replies = [r for rs in pool.map(client, range(clients)) for r in rs]
        usage.flush()
        time.sleep(0.1)
        done.set()
        feedback.join()
    usage.close()

    errors = [r for r in replies if isinstance(r, Exception)]
    rows = count(store)
    print(f"\n{store.name}: {len(replies) - len(errors)} answers, {rows} rows, {len(marked)} marked, "
          f"{count(store, 'helpful IS NOT NULL')} marks in the database")
    assert not errors and len(replies) == clients * rounds
    assert rows == clients * rounds
    assert marked and count(store, "helpful IS NOT NULL") == len(marked)
    assert count(store, "helpful = FALSE AND comment = 'didn''t answer'") == sum(not m for m in marked.values())


@contextmanager
def read_only(path: Path):
    """The file made read-only; root ignores permissions, so for root it is also made immutable."""
    os.chmod(path, 0o444)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        os.chmod(path, 0o644)
        pytest.skip("running as root on a file system without chattr +i: cannot make a file read-only to root")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, 0o644)


def _garbage(path: Path) -> None:
    with open(path, "r+b") as f:  # the same file, its bytes overwritten
        f.write(os.urandom(os.path.getsize(path)))


def _delete(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("fault, said", [
    ("read-only", "attempt to write a readonly database"),
    ("deleted", "was deleted while serving; starting a new one"),
    ("garbage", "is damaged (file is not a database)"),
])
def test_every_question_is_answered_and_the_log_names_the_problem_when_the_database_breaks(
        small, tmp_path, caplog, fault, said):
    usage = UsageLog(tmp_path / "data")
    with caplog.at_level(logging.WARNING, logger="nec_assistant.usage"), serving(small, usage) as url:
        assert ask(url, QUESTIONS[0])["answer"]
        usage.flush()
        if fault == "read-only":
            with read_only(usage.path):
                replies = [ask(url, q) for q in QUESTIONS]
                usage.flush()
        else:
            (_garbage if fault == "garbage" else _delete)(usage.path)
            replies = [ask(url, q) for q in QUESTIONS]
            usage.flush()
        assert all(r["answer"] for r in replies)  # every question answered, abstentions included
        assert str(usage.path) in caplog.text and said in caplog.text
        after = ask(url, QUESTIONS[1])  # and logging takes up again once it can
    assert after["answer"]
    usage.close()
    logged = [q.question for q in usage.questions()]
    assert logged[-1] == QUESTIONS[1]
    lost = sum(int(m.split(" question")[0].rsplit(" ", 1)[1]) for m in caplog.messages if "not recorded" in m)
    if fault == "read-only":
        assert lost == len(QUESTIONS) and len(logged) == 2  # the first question, and the one after
    elif fault == "deleted":
        assert lost == 0 and len(logged) == len(QUESTIONS) + 1  # all since, in the new file
    else:
        assert list(usage.path.parent.glob("usage.sqlite3.damaged-*")), "the damaged file is kept aside"
    print(f"\n{fault}: " + "\n".join(caplog.messages))


def test_a_locked_database_never_holds_up_an_answer(small, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(usage_sqlite, "BUSY_SECONDS", 0.5)
    usage = UsageLog(tmp_path / "data")
    with caplog.at_level(logging.ERROR, logger="nec_assistant.usage"), serving(small, usage) as url:
        other = sqlite3.connect(usage.path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
        replies = [ask(url, q) for q in QUESTIONS]  # all answered while the lock is still held
        usage.flush()
        other.execute("ROLLBACK")
        other.close()
    usage.close()
    assert all(r["answer"] for r in replies)
    assert "database is locked" in caplog.text and str(usage.path) in caplog.text


MEMBER = ("member-qz7", "pw-kx3-secret")


def test_the_log_keeps_no_user_name_and_no_ip_address(small, tmp_path):
    usage = UsageLog(tmp_path / "data")
    with serving(small, usage, auth=":".join(MEMBER)) as url:
        client = Client(url, auth=MEMBER, verbose=False)
        history, _ = client.predict(QUESTIONS[0], [], "", "", "", api_name="/chat")
        client.predict(QUESTIONS[3], "", "", "", api_name="/answer")
    usage.close()
    assert len(usage.questions()) == 2

    db = sqlite3.connect(usage.path)
    columns = {row[1] for table in ("questions", "citations") for row in db.execute(f"PRAGMA table_info({table})")}
    dump = "\n".join(db.iterdump())
    db.close()
    assert columns == {"id", "asked_at", "question", "answer", "abstained", "reason", "index_version", "answer_ms",
                       "helpful", "comment", "question_id", "rank", "source", "start", "end", "meeting_date"}
    stored = b"".join(p.read_bytes() for p in usage.path.parent.iterdir()) + dump.encode()
    for secret in (*MEMBER, "127.0.0.1", "localhost"):
        assert secret.encode() not in stored, secret


def test_with_no_log_nothing_is_stored_and_no_feedback_buttons_are_shown(small, tmp_path):
    data = tmp_path / "data"
    args = build_parser().parse_args(["serve", "--no-log", "--data", str(data)])
    usage = cli_usage_log(args)
    assert usage is None
    demo = build_app(small, usage=usage)
    chatbots = [c["props"] for c in demo.config["components"] if c["type"] == "chatbot"]
    assert chatbots and not any(c.get("likeable") for c in chatbots)
    assert "Insights" not in {c["props"].get("label") for c in demo.config["components"] if c["type"] == "tab"}
    with serving(small, usage) as url:
        assert ask(url, QUESTIONS[0])["citations"]
        Client(url, verbose=False).predict(QUESTIONS[1], [], "", "", "", api_name="/chat")
    assert not data.exists()

    logged = cli_usage_log(build_parser().parse_args(["serve", "--data", str(data), "--keep-days", "30"]))
    assert logged.keep_days == 30
    assert any(c["props"].get("likeable") for c in build_app(small, usage=logged).config["components"]
               if c["type"] == "chatbot")
    logged.close()


def test_a_backup_taken_while_serving_is_a_consistent_copy(small, tmp_path):
    usage = UsageLog(tmp_path / "data")
    done = threading.Event()

    def keep_asking(n: int) -> int:
        api, asked = Client(url, verbose=False), 0
        while not done.is_set():
            api.predict(QUESTIONS[(n + asked) % len(QUESTIONS)], "", "", "", api_name="/answer")
            asked += 1
        return asked

    copies = []
    with serving(small, usage) as url, ThreadPoolExecutor(max_workers=8) as pool:
        askers = [pool.submit(keep_asking, n) for n in range(8)]
        time.sleep(1)
        for n in range(3):
            before = count(usage.path)
            target = tmp_path / f"backup-{n}.sqlite3"
            result = subprocess.run([sys.executable, "-m", "assistant.cli", "backup", str(target), "--data",
                                     str(tmp_path / "data")], cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
            copies.append((before, target, count(usage.path), result.stdout))
            time.sleep(0.3)
        done.set()
        asked = sum(f.result() for f in askers)
    usage.close()
    assert asked == count(usage.path)
    for before, target, after, said in copies:
        db = sqlite3.connect(target)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, nothing beside it
        in_copy = db.execute("SELECT count(*) FROM questions").fetchone()[0]
        orphans = db.execute("SELECT count(*) FROM citations WHERE question_id NOT IN (SELECT id FROM questions)")
        assert orphans.fetchone()[0] == 0
        db.close()
        assert before <= in_copy <= after and f"{in_copy} questions" in said
