"""The usage log in one SQLite file, `usage.sqlite3` in the data folder: the default, nothing to run beside the app.

Each write opens the file afresh, so it sees the file as it is now: deleted (a new one is started),
made read-only, locked, full or damaged. A damaged file is moved aside (kept, for whoever wants to
look) and a new one started. WAL mode, so that readers (Insights, a backup) never block the writer.
The schema version is the file's `PRAGMA user_version`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .usage_store import Store, UnusableLog, check_readable, log, missing

DB_NAME = "usage.sqlite3"
BUSY_SECONDS = 5.0  # how long a write waits for another process's lock before giving up on a batch


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    return db


class SQLiteStore(Store):
    errors = (OSError, sqlite3.Error)
    types = {"boolean": "INTEGER", "insertion_order": ""}

    def __init__(self, path: Path):
        self.path = path
        self.name = str(path)
        self._inode: int | None = None  # of the file last written, to notice it deleted or replaced

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._open()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        db = self._existing()
        try:
            db.execute("BEGIN")  # one snapshot for every table read
            yield db
            db.execute("COMMIT")
        finally:
            db.close()

    def version(self, db: sqlite3.Connection) -> int:
        return db.execute("PRAGMA user_version").fetchone()[0]

    def apply(self, db: sqlite3.Connection, n: int, sql: str) -> None:
        db.executescript(f"BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {n + 1}; COMMIT;")

    def failed(self, exc: BaseException, lost: str) -> None:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            log.error("usage log: %s is damaged (%s); %s. Moved it to %s; a new one starts with the next write",
                      self.path, exc, lost, self._set_aside())
        else:
            super().failed(exc, lost)

    def backup(self, target: Path) -> int:
        """With SQLite's online backup; the copy is one self-contained file, under its name only when complete."""
        source = self._existing()
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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = _connect(self.path)
        try:
            db.execute("PRAGMA journal_mode = WAL")  # readers (insights, a backup) never block the writer
            db.execute("PRAGMA synchronous = NORMAL")  # in WAL, a commit still survives the process being killed
            self.migrate(db)
            self._inode = os.stat(self.path).st_ino
        except BaseException:
            db.close()
            raise
        return db

    def _existing(self) -> sqlite3.Connection:
        """The file for reading; UnusableLog when there is none or it is not at this program's version."""
        if not self.path.exists():
            raise missing(str(self.path))
        db = _connect(self.path)
        try:
            check_readable(self.version(db), str(self.path))
        except UnusableLog:
            db.close()
            raise
        return db

    def _set_aside(self) -> Path:
        """Move a damaged file (and its WAL) out of the way, kept for whoever wants to look at it."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            except FileNotFoundError:
                pass
        self._inode = None
        return aside
