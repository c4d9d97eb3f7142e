"""The usage log in PostgreSQL, against a real server on loopback (tests/postgresql_server.py), one database
a test: replicas sharing one log, migrations, retention, faults that never cost an answer, and the
command line reading it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from assistant.answer import Abstention, Answer
from assistant.cli import main
from assistant.evaluate import load_qa
from assistant.insights import summarise
from assistant.net import free_port
from assistant.question import Question
from assistant.usage_log import SCHEMA_VERSION, UnusableLog, UsageLog, read, store_for
from assistant.usage_postgres import PostgresStore
from assistant.usage_sqlite import SQLiteStore
from conftest import ROOT
from test_usage_log import answered
from test_usage_serving import QUESTIONS, ask, serving, small  # noqa: F401 (small: the served app's fixture)

TREASURER = "001_2b9f1682055ed3d0.txt"


@pytest.fixture
def database(postgresql) -> str:
    """A fresh, empty database on the session's server; its URL (with the password)."""
    return postgresql.new_database()


def sql(url: str, query: str, args: tuple | None = None) -> list[tuple]:
    """Run SQL on the database directly, as its administrator would."""
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(query, args)
        return cursor.fetchall() if cursor.description else []


def unanswered(question: str = "how do I bake bread?") -> Answer:
    return Answer(Question.read(question), "I couldn't find anything about that in the NEC reports.", [],
                  Abstention.NO_MATCH)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})


def test_questions_and_feedback_written_through_two_logs_are_read_back_from_one_postgresql(database):
    replicas = [UsageLog(PostgresStore(database)), UsageLog(PostgresStore(database))]

    def serve(n: int) -> list[str]:  # each replica answers its own members, all at once
        log = replicas[n]
        ids = []
        for r in range(50):
            ids.append(log.record(answered() if r % 5 else unanswered(), f"v{n}", r))
            if r % 2:
                log.feedback(ids[-1], r % 3 != 0, None if r % 3 else "wrong meeting")
        return ids

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = list(pool.map(serve, range(2)))
    for log in replicas:
        log.close()

    found = summarise(read(PostgresStore(database)))
    assert found.asked == 100 and found.answered == 80 and len(found.unanswered) == 20
    assert found.rated == 50 and found.helpful == 2 * sum(r % 3 != 0 for r in range(1, 50, 2))
    assert {q.id for q in found.not_helpful} <= set(ids[0] + ids[1])
    assert all(q.comment == "wrong meeting" for q in found.not_helpful)
    assert sql(database, "SELECT count(*) FROM citations") == [(80,)]


def test_a_question_reads_back_from_postgresql_as_from_sqlite(database, tmp_path):
    """The same Logged objects, field for field, so insights and feedback export need not know the database."""
    logs = [UsageLog(tmp_path), UsageLog(PostgresStore(database))]
    for log in logs:
        first = log.record(answered(), "a95c06c71bd0", 42)
        log.record(unanswered(), "a95c06c71bd0", 7)
        log.feedback(first, False, "  didn't answer: the 2012 treasurer  ")
        log.close()
    sqlite, postgresql = ([{k: v for k, v in q.to_dict().items() if k not in ("id", "asked_at")}
                           for q in log.questions()] for log in logs)
    assert postgresql == sqlite and len(postgresql) == 2
    assert postgresql[0]["citations"] == [{"source": TREASURER, "start": 8583, "end": 8744,
                                           "meeting_date": "2012-05-29"}]
    assert postgresql[0]["helpful"] is False and postgresql[1]["abstained"] is True
    assert postgresql[1]["reason"] == "no match" and postgresql[1]["helpful"] is None


def test_feedback_given_on_one_replica_finds_the_answer_logged_by_the_other(database, caplog):
    asked_here, marked_there = UsageLog(PostgresStore(database)), UsageLog(PostgresStore(database))
    qid = asked_here.record(answered(), "v", 1)
    asked_here.flush()
    with caplog.at_level(logging.WARNING, logger="nec_assistant.usage"):
        marked_there.feedback(qid, False, "wrong meeting")
        marked_there.feedback("000000000000", True)  # an answer no replica logged: said, not raised
        marked_there.flush()
    (logged,) = asked_here.questions()
    assert (logged.id, logged.helpful, logged.comment) == (qid, False, "wrong meeting")
    assert "feedback on question 000000000000, which is not in postgresql://nec@127.0.0.1:" in caplog.text
    for log in (asked_here, marked_there):
        log.close()


def test_an_empty_database_is_migrated_once_by_replicas_starting_together(database, caplog):
    start = threading.Barrier(4)

    def replica(_: int) -> UsageLog:
        start.wait()
        return UsageLog(PostgresStore(database))

    with caplog.at_level(logging.INFO, logger="nec_assistant.usage"), ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(replica, range(4)))
    for log in opened:
        log.close()
    assert len(opened) == 4 and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert caplog.text.count(f"schema version 0 → {SCHEMA_VERSION}") == 1  # one migrated; the others found it done
    assert sql(database, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    assert {name for (name,) in sql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")} == {
        "questions", "citations", "schema_version"}


def test_an_existing_log_opens_without_migrating_again_and_keeps_its_rows(database, caplog):
    first = UsageLog(PostgresStore(database))
    qid = first.record(answered(), "v", 1)
    first.close()
    with caplog.at_level(logging.INFO, logger="nec_assistant.usage"):
        again = UsageLog(PostgresStore(database))
        again.record(unanswered(), "v", 2)
        logged = again.questions()
        again.close()
    assert [q.id for q in logged][0] == qid and len(logged) == 2
    assert "schema version" not in caplog.text
    assert sql(database, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]


def test_a_database_holding_other_tables_gets_the_log_beside_them(database):
    """Version 0: a database with none of the log's tables yet, but someone else's."""
    sql(database, "CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (7)")
    usage = UsageLog(PostgresStore(database))
    usage.record(answered(), "v", 1)
    assert len(usage.questions()) == 1
    usage.close()
    assert sql(database, "SELECT x FROM unrelated") == [(7,)]


def test_a_log_from_a_newer_version_is_left_alone_and_said_while_answers_go_on(database, caplog):
    UsageLog(PostgresStore(database)).close()
    sql(database, "UPDATE schema_version SET version = 99")
    with caplog.at_level(logging.ERROR, logger="nec_assistant.usage"):
        usage = UsageLog(PostgresStore(database))
        usage.record(answered(), "v", 1)  # never raises
        usage.close()
    assert "schema version 99, newer than this program's" in caplog.text
    assert "1 question and 0 feedback not recorded" in caplog.text
    with pytest.raises(UnusableLog, match="schema version 99; this program reads version"):
        read(PostgresStore(database))
    assert sql(database, "SELECT count(*) FROM questions") == [(0,)]


def test_rows_older_than_keep_days_are_removed_on_start_with_their_citations(database):
    UsageLog(PostgresStore(database)).close()
    now = time.time()
    for qid, days in [("old", 400), ("month", 40), ("new", 1)]:
        asked = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - days * 86400))
        sql(database, "INSERT INTO questions (id, asked_at, question, answer, abstained, index_version, answer_ms) "
                      "VALUES (%s, %s, 'q', 'a', false, 'v', 1)", (qid, asked))
        sql(database, "INSERT INTO citations VALUES (%s, 1, 'x.txt', 0, 10, '2012-05-29')", (qid,))

    UsageLog(PostgresStore(database)).close()  # the default: 365 days
    assert [q.id for q in read(PostgresStore(database))] == ["month", "new"]
    UsageLog(PostgresStore(database), keep_days=30).close()
    assert [q.id for q in read(PostgresStore(database))] == ["new"]
    assert sql(database, "SELECT question_id FROM citations") == [("new",)]


@pytest.mark.parametrize("fault, said", [
    ("server down", "Connection refused"),
    ("wrong password", 'password authentication failed for user "nec"'),
    ("no such database", 'database "nowhere_yet" does not exist'),
])
def test_a_database_that_cannot_be_reached_is_said_without_its_password_and_answers_go_on(
        postgresql, caplog, fault, said):
    url = {"server down": postgresql.url("usage", password="pw-down-31x").replace(str(postgresql.port),
                                                                                   str(free_port())),
           "wrong password": postgresql.url("usage", password="pw-wrong-7qk"),
           "no such database": postgresql.url("nowhere_yet")}[fault]
    store, answer = PostgresStore(url), answered()
    with caplog.at_level(logging.WARNING, logger="nec_assistant.usage"):
        usage = UsageLog(store)
        started = time.perf_counter()
        usage.record(answer, "v", 1)  # never raises, never waits for the database
        queued = time.perf_counter() - started
        usage.close()
    password = url.split("@")[0].rsplit(":", 1)[1]
    assert queued < 0.05 and password not in caplog.text
    assert f"cannot write to {store.name} (" in caplog.text and said in caplog.text
    assert "old questions not removed" in caplog.text and "1 question and 0 feedback not recorded" in caplog.text
    assert store.name.startswith("postgresql://nec@127.0.0.1:") and password not in store.name
    with pytest.raises(UnusableLog, match=f"cannot read the usage log at {store.name}") as raised:
        read(store)
    assert password not in str(raised.value)
    print(f"\n{fault}: " + "\n".join(caplog.messages))


def test_every_question_is_answered_while_the_database_is_missing_and_logged_once_it_is_made(
        small, postgresql, caplog):  # noqa: F811 (small: the fixture imported above)
    name = f"made_later_{free_port()}"
    usage = UsageLog(PostgresStore(postgresql.url(name)))
    with caplog.at_level(logging.ERROR, logger="nec_assistant.usage"), serving(small, usage) as url:
        replies = [ask(url, q) for q in QUESTIONS]
        usage.flush()
        assert all(r["answer"] for r in replies)  # every question answered, abstentions included
        assert f'database "{name}" does not exist' in caplog.text
        with postgresql.admin() as admin:
            admin.execute(f"CREATE DATABASE {name} OWNER nec")
        after = ask(url, QUESTIONS[1])  # and logging takes up again once it can
        logged = usage.questions()
    usage.close()
    assert after["answer"] and [q.question for q in logged] == [QUESTIONS[1]]
    lost = sum(int(m.split(" question")[0].rsplit(" ", 1)[1]) for m in caplog.messages if "not recorded" in m)
    assert lost == len(QUESTIONS)


def test_a_url_that_is_not_one_is_refused_at_start_without_echoing_it(capsys):
    with pytest.raises(UnusableLog, match="cannot read the URL") as raised:
        PostgresStore("postgresql://nec:pw-in-url-5tz@[::1/usage")  # libpq's own message quotes the whole URL
    assert "pw-in-url-5tz" not in str(raised.value)
    assert main(["insights", "--database", "usage.sqlite3"]) == 1
    assert "give a PostgreSQL URL, postgresql://USER@HOST:PORT/DB" in capsys.readouterr().err


def test_the_insights_command_reads_the_log_in_postgresql_and_backup_says_to_use_pg_dump(database, tmp_path):
    usage = UsageLog(PostgresStore(database))
    qid = usage.record(answered(), "v", 20)
    usage.record(unanswered(), "v", 9)
    usage.feedback(qid, False, "wrong meeting")
    usage.close()
    password = database.split("@")[0].rsplit(":", 1)[1]

    result = run("insights", "--database", database, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["asked"], data["answered"], data["rated"], data["helpful"]) == (2, 1, 1, 0)
    assert [q["id"] for q in data["not_helpful"]] == [qid] and data["not_helpful"][0]["comment"] == "wrong meeting"
    from_env = run("insights", env={"NEC_ASSISTANT_DATABASE": database})
    assert from_env.returncode == 0 and "2 questions asked from the start to now" in from_env.stdout

    backup = run("backup", str(tmp_path / "copy"), "--database", database)
    assert backup.returncode == 1 and "pg_dump" in backup.stderr and password not in backup.stderr
    assert not (tmp_path / "copy").exists()
    empty = run("insights", "--database", database.rsplit("/", 1)[0] + "/postgres")
    assert empty.returncode == 1 and "no usage log at postgresql://nec@127.0.0.1:" in empty.stderr
    print("\n" + backup.stderr + empty.stderr)


def test_feedback_export_picks_from_the_log_in_postgresql(database, tmp_path, corpus_copy, index_dir, index):
    usage = UsageLog(PostgresStore(database))
    qid = usage.record(answered("Who was elected treasurer?"), "v", 20)
    usage.feedback(qid, False, "wrong meeting")
    usage.close()
    where = ["--database", database, "--corpus", str(corpus_copy), "--index", str(index_dir)]
    listing = run("feedback", "export", *where)
    assert listing.returncode == 0, listing.stderr
    assert f"{qid}  " in listing.stdout and "Who was elected treasurer?  — “wrong meeting”" in listing.stdout
    pick = next(line.split()[0] for line in listing.stdout.splitlines() if line.strip().startswith(f"{TREASURER}:"))
    out = tmp_path / "from-members.jsonl"
    written = run("feedback", "export", "--pick", f"{qid}={pick}", "--out", str(out), *where)
    assert written.returncode == 0, written.stderr
    (item,) = load_qa(out)
    assert item.id == f"m-{qid}" and item.question == "Who was elected treasurer?" and item.evidence


def test_the_database_url_or_its_environment_variable_chooses_postgresql_and_without_either_sqlite_stays(
        tmp_path, monkeypatch):
    monkeypatch.delenv("NEC_ASSISTANT_DATABASE", raising=False)
    url = "postgresql://nec:pw-9@127.0.0.1:5432/usage"
    chosen = [store_for(None, tmp_path), store_for(url, tmp_path)]
    monkeypatch.setenv("NEC_ASSISTANT_DATABASE", url)
    chosen += [store_for(None, tmp_path), store_for("postgresql://other@127.0.0.1/usage", tmp_path)]
    assert isinstance(chosen[0], SQLiteStore) and chosen[0].path == tmp_path / "usage.sqlite3"
    assert [c.name for c in chosen[1:]] == ["postgresql://nec@127.0.0.1:5432/usage"] * 2 + [
        "postgresql://other@127.0.0.1/usage"]
