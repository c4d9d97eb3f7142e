"""Where the usage log is kept: the seam between the log (assistant/usage_log.py) and its database.

The log speaks one SQL to every store, written once, with sqlite3's `?` placeholders; each store
gives it connections that take that SQL (assistant/usage_sqlite.py: the embedded file, the default;
assistant/usage_postgres.py: one PostgreSQL database that several replicas of the app share). What
differs between them stays in the stores: how to connect, where the schema version is kept, the
names of two column types, what their faults look like and how to back them up.

The schema is here, once, for both: migration n brings it from version n to n + 1, and the
migrations after a database's version run when it is opened for writing.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("nec_assistant.usage")

# Never edit one that has shipped: add another. {boolean} and {insertion_order} are each store's own
# (`types`): SQLite has no boolean type and numbers its rows itself (rowid); PostgreSQL needs both said.
MIGRATIONS = [
    """
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,        -- random: it names the question, not who asked it
        asked_at TEXT NOT NULL,     -- UTC, ISO 8601
        question TEXT NOT NULL,
        answer TEXT NOT NULL,       -- as given: the lead line and the quotes, or why it abstained
        abstained {boolean} NOT NULL,
        reason TEXT,                -- why it abstained (Abstention's value), else NULL
        index_version TEXT NOT NULL,
        answer_ms INTEGER NOT NULL,
        helpful {boolean},            -- the member's mark: true, false, or NULL for none
        comment TEXT                -- with a "not helpful": "wrong meeting", "didn't answer" or their words
        {insertion_order}
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


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class Connection(Protocol):
    """What the log's SQL is run on: sqlite3's connection, or one that takes the same SQL for another database."""

    def execute(self, sql: str, args: Sequence[object] = ...) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> Cursor: ...


def missing(name: str) -> UnusableLog:
    return UnusableLog(f"no usage log at {name}: the web app writes it when it serves with logging on")


def check_readable(version: int, name: str) -> None:
    """UnusableLog unless the log is at the version this program reads: an older one is migrated by the app."""
    if version != SCHEMA_VERSION:
        raise UnusableLog(f"{name} has schema version {version}; this program reads version {SCHEMA_VERSION}")


class Store(ABC):
    """One database holding the usage log. Writes run in `transaction`, reads in `snapshot`."""

    name: str  # what the server log and the command line call it: the file, or the URL without its password
    errors: tuple[type[Exception], ...]  # what a write may fail with: said in the server log, never raised
    types: dict[str, str]  # this database's words for the schema's {boolean} and {insertion_order}

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """The log, made or migrated first if need be, in one write transaction: committed when the block
        ends, rolled back if it raises."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[Connection]:
        """The log in one read snapshot; UnusableLog if there is none, it is at another version, or it cannot
        be reached."""

    @abstractmethod
    def backup(self, target: Path) -> int:
        """A consistent copy at `target` while the app may be writing; the number of questions in it."""

    @abstractmethod
    def version(self, db: Any) -> int:
        """The schema version of the log being opened for writing (0 for none yet)."""

    @abstractmethod
    def apply(self, db: Any, n: int, sql: str) -> None:
        """Run migration n, `sql`, and record version n + 1, so that both happen or neither."""

    def migrate(self, db: Any) -> None:
        """Bring the schema up to date; UnusableLog (said, never changed) for a log from a newer program."""
        version = self.version(db)
        if version > SCHEMA_VERSION:
            raise UnusableLog(f"{self.name} has schema version {version}, newer than this program's {SCHEMA_VERSION}")
        for n in range(version, SCHEMA_VERSION):
            self.apply(db, n, MIGRATIONS[n].format(**self.types))
        if version < SCHEMA_VERSION:
            log.info("usage log %s: schema version %d → %d", self.name, version, SCHEMA_VERSION)

    def describe(self, exc: BaseException) -> str:
        """A fault as the server log says it."""
        return str(exc)

    def failed(self, exc: BaseException, lost: str) -> None:
        """Say in the server log that a write failed, and what was `lost` with it."""
        log.error("usage log: cannot write to %s (%s); %s", self.name, self.describe(exc), lost)
