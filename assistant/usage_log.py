"""The usage log: each question asked in the web app, its answer's citations, and the member's feedback.

What is kept names no one: no user name, no IP address, no session; each question gets a random id
so that its feedback can find it. Rows older than `keep_days` are deleted when the log opens.

Where it is kept is a `Store` (assistant/usage_store.py): by default one SQLite file, `usage.sqlite3`
in the data folder (assistant/usage_sqlite.py); with `--database postgresql://…`, a PostgreSQL
database that several replicas of the app share (assistant/usage_postgres.py). The SQL here is
written once for both.

Writes must never slow or break an answer, so the app only puts them on a queue; one writer thread
takes whatever is waiting and writes it in one transaction. A write that fails (the file deleted,
read-only, locked or damaged; the server down, the password refused) is said in the server log,
with where and how many questions went unrecorded, and the answer has already gone to the member.
`close` (also run at exit) writes what is still queued.
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .usage_sqlite import DB_NAME, SQLiteStore
from .usage_store import SCHEMA_VERSION, Cited, Connection, Logged, Store, UnusableLog, log

if TYPE_CHECKING:  # only named in annotations: the CLI imports this module before any model or index
    from .answer import Answer

__all__ = ["COMMENT_CHARS", "DB_NAME", "KEEP_DAYS", "SCHEMA_VERSION", "Cited", "Logged", "Store", "UnusableLog",
           "UsageLog", "backup", "data_dir", "read", "store_for"]

KEEP_DAYS = 365
MAX_QUEUED = 10_000  # questions waiting to be written; beyond this they are dropped, and the log says so
MAX_BATCH = 500
COMMENT_CHARS = 500


def data_dir(given: Path | None, corpus_dir: Path) -> Path:
    """`--data`, else $NEC_ASSISTANT_DATA, else `data/` beside the corpus."""
    if given:
        return given
    from_env = os.environ.get("NEC_ASSISTANT_DATA")
    return Path(from_env) if from_env else corpus_dir.parent / "data"


def store_for(database: str | None, folder: Path) -> Store:
    """`--database` (else $NEC_ASSISTANT_DATABASE): that PostgreSQL database; else the SQLite file in `folder`."""
    url = database or os.environ.get("NEC_ASSISTANT_DATABASE")
    if url:
        from .usage_postgres import PostgresStore  # psycopg is loaded only for a log that needs it

        return PostgresStore(url)
    return SQLiteStore(folder / DB_NAME)


def _now() -> datetime:
    return datetime.now(timezone.utc)


Write = Callable[[Connection], None]


class UsageLog:
    """The log the web app writes to; `record` and `feedback` return at once and never raise."""

    def __init__(self, where: Path | Store, keep_days: int = KEEP_DAYS):
        """`where`: a Store, or the folder to keep `usage.sqlite3` in."""
        self.store = where if isinstance(where, Store) else SQLiteStore(where / DB_NAME)
        self.keep_days = keep_days
        # (questions it records, the write), or None to stop the writer
        self._queue: queue.Queue[tuple[int, Write] | None] = queue.Queue(MAX_QUEUED)
        self._transaction([self._forget_old], "old questions not removed")
        self._writer = threading.Thread(target=self._write_queued, name="usage-log-writer", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    @property
    def path(self) -> Path:
        """The SQLite file written to; AttributeError for a log kept in PostgreSQL."""
        return self.store.path  # type: ignore[attr-defined]

    # What the app calls: both only queue the write.

    def record(self, answer: Answer, index_version: str, answer_ms: int) -> str:
        """Queue one question and its answer; the id to give its feedback."""
        qid = secrets.token_hex(6)
        row = (qid, _now().isoformat(timespec="seconds"), answer.question.text, answer.text, answer.abstained,
               answer.abstention.value if answer.abstention else None, index_version, answer_ms)
        cited = [(qid, n, c.source, c.start, c.end, c.meeting_date) for n, c in enumerate(answer.citations, 1)]

        def write(db: Connection) -> None:
            db.execute("INSERT INTO questions (id, asked_at, question, answer, abstained, reason, index_version, "
                       "answer_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            db.executemany('INSERT INTO citations (question_id, rank, source, start, "end", meeting_date) '
                           "VALUES (?, ?, ?, ?, ?, ?)", cited)

        self._put(1, write)
        return qid

    def feedback(self, question_id: str, helpful: bool | None, comment: str | None = None) -> None:
        """Queue the member's mark on an answer (None takes it back), with an optional short comment."""
        comment = (comment or "").strip()[:COMMENT_CHARS] or None

        def write(db: Connection) -> None:
            if not db.execute("UPDATE questions SET helpful = ?, comment = ? WHERE id = ?",
                              (helpful, comment, question_id)).rowcount:
                log.warning("usage log: feedback on question %s, which is not in %s", question_id, self.store.name)

        self._put(0, write)

    def _put(self, questions: int, write: Write) -> None:
        if not self._writer.is_alive():
            log.error("usage log: %s is closed; a write was dropped", self.store.name)
            return
        try:
            self._queue.put_nowait((questions, write))
        except queue.Full:
            log.error("usage log: %d writes already waiting for %s; one dropped", MAX_QUEUED, self.store.name)

    def flush(self) -> None:
        """Return once everything queued so far has been written (or given up on)."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()
        atexit.unregister(self.close)

    def questions(self, date_from: str | None = None, date_to: str | None = None) -> list[Logged]:
        """What has been logged, up to now, between the dates asked."""
        self.flush()
        return read(self.store, date_from, date_to)

    # The writer thread.

    def _write_queued(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH and batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [item for item in batch if item is not None]
            if writes:
                questions = sum(n for n, _ in writes)
                self._transaction([w for _, w in writes], f"{questions} question{'s' * (questions != 1)} and "
                                                          f"{len(writes) - questions} feedback not recorded")
            for _ in batch:
                self._queue.task_done()
            if batch[-1] is None:
                return

    def _transaction(self, writes: list[Write], lost: str) -> None:
        """The writes in one transaction; a failure is said in the server log, with what was `lost`."""
        try:
            with self.store.transaction() as db:
                for write in writes:
                    write(db)
        except (*self.store.errors, UnusableLog) as exc:
            self.store.failed(exc, lost)

    def _forget_old(self, db: Connection) -> None:
        cutoff = (_now() - timedelta(days=self.keep_days)).isoformat(timespec="seconds")
        removed = db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
        if removed:
            log.info("usage log: removed %d questions older than %d days", removed, self.keep_days)


def _store(given: Path | Store) -> Store:
    return given if isinstance(given, Store) else SQLiteStore(given)


def read(store: Path | Store, date_from: str | None = None, date_to: str | None = None) -> list[Logged]:
    """The questions asked on or after `date_from` and on or before `date_to` (YYYY[-MM[-DD]], UTC), oldest
    first, from a Store or the SQLite file at `store`."""
    where, args = "TRUE", []
    if date_from:
        where, args = where + " AND asked_at >= ?", args + [date_from]
    if date_to:
        where, args = where + " AND substr(asked_at, 1, ?) <= ?", args + [len(date_to), date_to]
    with _store(store).snapshot() as db:
        rows = db.execute(f"SELECT id, asked_at, question, answer, abstained, reason, index_version, answer_ms, "
                          f"helpful, comment FROM questions WHERE {where} ORDER BY asked_at, rowid", args).fetchall()
        cited: dict[str, list[Cited]] = {}
        for qid, _, *fields in db.execute(
                f'SELECT question_id, rank, source, start, "end", meeting_date FROM citations WHERE question_id IN '
                f"(SELECT id FROM questions WHERE {where}) ORDER BY question_id, rank", args):
            cited.setdefault(qid, []).append(Cited(*fields))
    return [Logged(qid, at, q, a, bool(abst), reason, version, ms, None if helpful is None else bool(helpful),
                   comment, cited.get(qid, []))
            for qid, at, q, a, abst, reason, version, ms, helpful, comment in rows]


def backup(store: Path | Store, target: Path) -> int:
    """A consistent copy of the log at `target` while the app may be writing; the number of questions in
    the copy. A SQLite log only: a PostgreSQL one says to use pg_dump (UnusableLog)."""
    return _store(store).backup(target)
