"""The usage log: each question asked in the web app, its answer's citations, and the member's feedback.

One SQLite file, `usage.sqlite3` in the data folder, written through the standard library. What is
kept names no one: no user name, no IP address, no session; each question gets a random id so that
its feedback can find it. Rows older than `keep_days` are deleted when the log opens.

Writes must never slow or break an answer, so the app only puts them on a queue; one writer thread
takes whatever is waiting and writes it in one transaction. That thread opens the file afresh for
each batch, so it sees the file as it is now: deleted (a new one is started), made read-only,
locked, full or damaged. Each of those is said in the server log, with the file and how many
questions went unrecorded, and the answer has already gone to the member. A damaged file is moved
aside (kept, for whoever wants to look) and a new one started. `close` (also run at exit) writes
what is still queued.

The schema has a version (`PRAGMA user_version`); the migrations after the file's version run when
it opens, in one transaction with the version they bring it to.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: the CLI imports this module before any model or index
    from .answer import Answer

log = logging.getLogger("nec_assistant.usage")

DB_NAME = "usage.sqlite3"
KEEP_DAYS = 365
BUSY_SECONDS = 5.0  # how long the writer waits for another process's lock before giving up on a batch
MAX_QUEUED = 10_000  # questions waiting to be written; beyond this they are dropped, and the log says so
MAX_BATCH = 500
COMMENT_CHARS = 500

# Migration n brings the schema from version n to n + 1. Never edit one that has shipped: add another.
MIGRATIONS = [
    """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,        -- random: it names the question, not who asked it
        asked_at TEXT NOT NULL,     -- UTC, ISO 8601
        question TEXT NOT NULL,
        answer TEXT NOT NULL,       -- as given: the lead line and the quotes, or why it abstained
        abstained INTEGER NOT NULL,
        reason TEXT,                -- why it abstained (Abstention's value), else NULL
        index_version TEXT NOT NULL,
        answer_ms INTEGER NOT NULL,
        helpful INTEGER,            -- the member's mark: 1, 0, or NULL for none
        comment TEXT                -- with a "not helpful": "wrong meeting", "didn't answer" or their words
    );
    CREATE INDEX questions_asked_at ON questions (asked_at);
    CREATE TABLE citations (
        question_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,      -- its place in the answer, from 1
        source TEXT NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        meeting_date TEXT NOT NULL,
        PRIMARY KEY (question_id, rank)
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class UnusableLog(Exception):
    """The usage log cannot be read (missing, or made by a newer version), or its backup cannot be written."""


def data_dir(given: Path | None, corpus_dir: Path) -> Path:
    """`--data`, else $NEC_ASSISTANT_DATA, else `data/` beside the corpus."""
    if given:
        return given
    from_env = os.environ.get("NEC_ASSISTANT_DATA")
    return Path(from_env) if from_env else corpus_dir.parent / "data"


@dataclass(frozen=True)
class Cited:
    source: str
    start: int
    end: int
    meeting_date: str


@dataclass(frozen=True)
class Logged:
    """One question as the log holds it."""

    id: str
    asked_at: str
    question: str
    answer: str
    abstained: bool
    reason: str | None
    index_version: str
    answer_ms: int
    helpful: bool | None
    comment: str | None
    citations: list[Cited]

    def to_dict(self) -> dict:
        return {**{k: v for k, v in vars(self).items() if k != "citations"},
                "citations": [vars(c) for c in self.citations]}


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date, each migration in one transaction with the version it brings."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UnusableLog(f"{path} has schema version {version}, newer than this program's {SCHEMA_VERSION}")
    if version < SCHEMA_VERSION:
        for n in range(version, SCHEMA_VERSION):
            db.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[n]}; PRAGMA user_version = {n + 1}; COMMIT;")
        log.info("usage log %s: schema version %d → %d", path, version, SCHEMA_VERSION)


def _now() -> datetime:
    return datetime.now(timezone.utc)


Write = Callable[[sqlite3.Connection], None]


class UsageLog:
    """The log the web app writes to; `record` and `feedback` return at once and never raise."""

    def __init__(self, folder: Path, keep_days: int = KEEP_DAYS):
        self.path = folder / DB_NAME
        self.keep_days = keep_days
        # (questions it records, the write), or None to stop the writer
        self._queue: queue.Queue[tuple[int, Write] | None] = queue.Queue(MAX_QUEUED)
        self._inode: int | None = None  # of the file last written, to notice it deleted or replaced
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.error("usage log: cannot make %s (%s)", folder, exc)
        self._transaction([self._forget_old], "old questions not removed")
        self._writer = threading.Thread(target=self._write_queued, name="usage-log-writer", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    # What the app calls: both only queue the write.

    def record(self, answer: Answer, index_version: str, answer_ms: int) -> str:
        """Queue one question and its answer; the id to give its feedback."""
        qid = secrets.token_hex(6)
        row = (qid, _now().isoformat(timespec="seconds"), answer.question.text, answer.text, answer.abstained,
               answer.abstention.value if answer.abstention else None, index_version, answer_ms)
        cited = [(qid, n, c.source, c.start, c.end, c.meeting_date) for n, c in enumerate(answer.citations, 1)]

        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO questions (id, asked_at, question, answer, abstained, reason, index_version, "
                       "answer_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            db.executemany('INSERT INTO citations (question_id, rank, source, start, "end", meeting_date) '
                           "VALUES (?, ?, ?, ?, ?, ?)", cited)

        self._put(1, write)
        return qid

    def feedback(self, question_id: str, helpful: bool | None, comment: str | None = None) -> None:
        """Queue the member's mark on an answer (None takes it back), with an optional short comment."""
        comment = (comment or "").strip()[:COMMENT_CHARS] or None

        def write(db: sqlite3.Connection) -> None:
            if not db.execute("UPDATE questions SET helpful = ?, comment = ? WHERE id = ?",
                              (helpful, comment, question_id)).rowcount:
                log.warning("usage log: feedback on question %s, which is not in %s", question_id, self.path)

        self._put(0, write)

    def _put(self, questions: int, write: Write) -> None:
        if not self._writer.is_alive():
            log.error("usage log: %s is closed; a write was dropped", self.path)
            return
        try:
            self._queue.put_nowait((questions, write))
        except queue.Full:
            log.error("usage log: %d writes already waiting for %s; one dropped", MAX_QUEUED, self.path)

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
        return read(self.path, date_from, date_to)

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
            db = self._open()
            try:
                db.execute("BEGIN IMMEDIATE")
                for write in writes:
                    write(db)
                db.execute("COMMIT")
            finally:
                db.close()
        except (OSError, sqlite3.Error, UnusableLog) as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                log.error("usage log: %s is damaged (%s); %s. Moved it to %s; a new one starts with the next "
                          "write", self.path, exc, lost, self._set_aside())
            else:
                log.error("usage log: cannot write to %s (%s); %s", self.path, exc, lost)

    def _open(self) -> sqlite3.Connection:
        """The file as it is now, migrated; says so if the one written before has gone."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = None
        if self._inode is not None and inode != self._inode:
            log.warning("usage log: %s was %s while serving; starting a new one", self.path,
                        "deleted" if inode is None else "replaced")
            self._inode = None
        db = _connect(self.path)
        try:
            db.execute("PRAGMA journal_mode = WAL")  # readers (insights, a backup) never block the writer
            db.execute("PRAGMA synchronous = NORMAL")  # in WAL, a commit still survives the process being killed
            _migrate(db, self.path)
            self._inode = os.stat(self.path).st_ino
        except BaseException:
            db.close()
            raise
        return db

    def _forget_old(self, db: sqlite3.Connection) -> None:
        cutoff = (_now() - timedelta(days=self.keep_days)).isoformat(timespec="seconds")
        removed = db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
        if removed:
            log.info("usage log: removed %d questions older than %d days", removed, self.keep_days)

    def _set_aside(self) -> Path:
        """Move a damaged file (and its WAL) out of the way, kept for whoever wants to look at it."""
        aside = self.path.with_name(f"{DB_NAME}.damaged-{_now():%Y%m%dT%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            except FileNotFoundError:
                pass
        self._inode = None
        return aside


def _existing(path: Path) -> sqlite3.Connection:
    """The log at `path` for reading; UnusableLog when there is none or it is newer than this program."""
    if not path.exists():
        raise UnusableLog(f"no usage log at {path}: the web app writes it when it serves with logging on")
    db = _connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        db.close()
        raise UnusableLog(f"{path} has schema version {version}; this program reads version {SCHEMA_VERSION}")
    return db


def read(path: Path, date_from: str | None = None, date_to: str | None = None) -> list[Logged]:
    """The questions asked on or after `date_from` and on or before `date_to` (YYYY[-MM[-DD]], UTC), oldest first."""
    db = _existing(path)
    try:
        db.execute("BEGIN")  # one snapshot for both tables
        where, args = "1", []
        if date_from:
            where, args = where + " AND asked_at >= ?", args + [date_from]
        if date_to:
            where, args = where + " AND substr(asked_at, 1, ?) <= ?", args + [len(date_to), date_to]
        rows = db.execute(f"SELECT id, asked_at, question, answer, abstained, reason, index_version, answer_ms, "
                          f"helpful, comment FROM questions WHERE {where} ORDER BY asked_at, rowid", args).fetchall()
        cited: dict[str, list[Cited]] = {}
        for qid, _, *fields in db.execute(
                f'SELECT question_id, rank, source, start, "end", meeting_date FROM citations WHERE question_id IN '
                f"(SELECT id FROM questions WHERE {where}) ORDER BY question_id, rank", args):
            cited.setdefault(qid, []).append(Cited(*fields))
        db.execute("COMMIT")
    finally:
        db.close()
    return [Logged(qid, at, q, a, bool(abst), reason, version, ms, None if helpful is None else bool(helpful),
                   comment, cited.get(qid, []))
            for qid, at, q, a, abst, reason, version, ms, helpful, comment in rows]


def backup(path: Path, target: Path) -> int:
    """A consistent copy of the log at `target`, taken with SQLite's online backup while the app may be
    writing; the number of questions in the copy. The copy appears under its name only when complete."""
    source = _existing(path)
    partial = target.with_name(target.name + ".part")
    try:
        try:
            copy = sqlite3.connect(partial)
        except sqlite3.Error as exc:
            raise UnusableLog(f"cannot write {target}: {exc}") from None
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            count = copy.execute("SELECT count(*) FROM questions").fetchone()[0]
        finally:
            copy.close()
        os.replace(partial, target)
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return count
