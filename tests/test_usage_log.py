"""The usage log's database: schema and migrations, what a row holds, retention, and surviving kill -9."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from assistant.answer import Abstention, Answer, Citation
from assistant.question import Question
from assistant.usage_log import SCHEMA_VERSION, UnusableLog, UsageLog, read
from conftest import ROOT

CITATION = Citation("2012-05-29", "29 May 2012", "Other issues", "001_2b9f1682055ed3d0.txt",
                    "Dianna Holland was congratulated", 8583, 8744, 0.9)


def answered(question: str = "Who is the Party Treasurer?") -> Answer:
    return Answer(Question.read(question), None, [CITATION])


def test_a_new_log_is_made_in_wal_mode_at_the_current_schema_version(tmp_path):
    usage = UsageLog(tmp_path / "data")
    usage.close()
    db = sqlite3.connect(usage.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {
        "questions", "citations"}


def test_an_answer_and_its_feedback_are_kept_with_citations_index_version_and_time(tmp_path):
    usage = UsageLog(tmp_path)
    kept = usage.record(answered(), "a95c06c71bd0", 42)
    unanswered = usage.record(Answer(Question.read("how do I bake bread?"), "Nothing.", [], Abstention.NO_MATCH),
                              "a95c06c71bd0", 7)
    usage.feedback(kept, False, "  wrong meeting  ")
    first, second = usage.questions()
    usage.close()
    assert first.id == kept and first.question == "Who is the Party Treasurer?" and not first.abstained
    assert first.answer == answered().text and first.index_version == "a95c06c71bd0" and first.answer_ms == 42
    assert first.helpful is False and first.comment == "wrong meeting"
    assert [(c.source, c.start, c.end, c.meeting_date) for c in first.citations] == [
        ("001_2b9f1682055ed3d0.txt", 8583, 8744, "2012-05-29")]
    assert abs(datetime.fromisoformat(first.asked_at) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert second.id == unanswered and second.abstained and second.reason == "no match" and not second.citations
    assert second.helpful is None


def test_taking_a_mark_back_clears_it(tmp_path):
    usage = UsageLog(tmp_path)
    qid = usage.record(answered(), "v", 1)
    usage.feedback(qid, True)
    usage.feedback(qid, None)
    assert usage.questions()[0].helpful is None
    usage.close()


def test_questions_are_read_between_the_dates_asked(tmp_path):
    usage = UsageLog(tmp_path)
    usage.close()
    db = sqlite3.connect(usage.path)
    for n, day in enumerate(["2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01"]):
        db.execute("INSERT INTO questions VALUES (?, ?, 'q', 'a', 0, NULL, 'v', 1, NULL, NULL)",
                   (f"id{n}", f"{day}T12:00:00+00:00"))
    db.commit()
    assert [q.asked_at[:10] for q in read(usage.path, "2026-02", "2026-02")] == ["2026-02-01", "2026-02-28"]
    assert [q.asked_at[:10] for q in read(usage.path, "2026-02-28", None)] == ["2026-02-28", "2026-03-01"]
    assert len(read(usage.path, None, "2026")) == 4


def test_rows_older_than_keep_days_are_removed_on_start_with_their_citations(tmp_path):
    UsageLog(tmp_path).close()
    db = sqlite3.connect(tmp_path / "usage.sqlite3")
    now = datetime.now(timezone.utc)
    for qid, days in [("old", 400), ("month", 40), ("new", 1)]:
        db.execute("INSERT INTO questions VALUES (?, ?, 'q', 'a', 0, NULL, 'v', 1, NULL, NULL)",
                   (qid, (now - timedelta(days=days)).isoformat(timespec="seconds")))
        db.execute("INSERT INTO citations VALUES (?, 1, 'x.txt', 0, 10, '2012-05-29')", (qid,))
    db.commit()
    db.close()

    UsageLog(tmp_path).close()  # the default: 365 days
    assert [q.id for q in read(tmp_path / "usage.sqlite3")] == ["month", "new"]
    UsageLog(tmp_path, keep_days=30).close()
    assert [q.id for q in read(tmp_path / "usage.sqlite3")] == ["new"]
    assert sqlite3.connect(tmp_path / "usage.sqlite3").execute("SELECT question_id FROM citations").fetchall() == [
        ("new",)]


def test_a_log_from_a_newer_version_is_left_alone_and_said_while_answers_go_on(tmp_path, caplog):
    db = sqlite3.connect(tmp_path / "usage.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.close()
    with caplog.at_level(logging.ERROR, logger="nec_assistant.usage"):
        usage = UsageLog(tmp_path)
        usage.record(answered(), "v", 1)  # never raises
        usage.close()
    assert "schema version 99, newer than this program's" in caplog.text
    assert "1 question and 0 feedback not recorded" in caplog.text
    with pytest.raises(UnusableLog):
        read(tmp_path / "usage.sqlite3")


def test_an_old_schema_is_migrated_on_start(tmp_path):
    """Version 0: a database with none of the log's tables yet."""
    sqlite3.connect(tmp_path / "usage.sqlite3").execute("CREATE TABLE unrelated (x)").connection.commit()
    usage = UsageLog(tmp_path)
    usage.record(answered(), "v", 1)
    assert len(usage.questions()) == 1
    usage.close()
    assert sqlite3.connect(usage.path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


WRITER = """
import sys
from pathlib import Path
from assistant.answer import Answer
from assistant.question import Question
from assistant.usage_log import UsageLog

log = UsageLog(Path(sys.argv[1]))
answer = Answer(Question.read("Who is the Party Treasurer?"), None, [])
while True:
    ids = [log.record(answer, "v", 1) for _ in range(25)]
    log.flush()  # committed: only now are they said
    print(" ".join(ids), flush=True)
"""


@pytest.mark.parametrize("after", [0.0, 0.004, 0.013])
def test_after_kill_9_mid_write_the_log_opens_cleanly_and_keeps_every_committed_row(tmp_path, after):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    committed = []
    try:
        while len(committed) < 40 * 25:
            line = writer.stdout.readline()
            assert line, "the writer stopped by itself"
            committed += line.split()
        time.sleep(after)  # the next batches are being written
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    db = sqlite3.connect(tmp_path / "usage.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = {qid for (qid,) in db.execute("SELECT id FROM questions")}
    db.close()
    assert set(committed) <= kept
    print(f"\nkill -9: {len(committed)} rows said committed, {len(kept)} in the database")

    usage = UsageLog(tmp_path)  # and it goes on being written
    usage.record(answered(), "v", 1)
    assert len(usage.questions()) == len(kept) + 1
    usage.close()
