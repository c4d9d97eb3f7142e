"""The usage log in a PostgreSQL database, for several replicas of the app writing to one log.

`--database postgresql://USER@HOST:PORT/DB` (or $NEC_ASSISTANT_DATABASE); the password from the URL,
or as libpq finds it (~/.pgpass, $PGPASSWORD). Each batch connects afresh, as the SQLite writer opens
its file afresh, so a server that was down or restarted is simply written to again at the next batch.
The schema version is the one row of a `schema_version` table. Replicas starting together migrate
one at a time (a transaction-scoped advisory lock), and all of a migration happens or none of it:
PostgreSQL's DDL is transactional.

Everything said about the database (server log, errors) names it without its password: libpq puts
the whole URL into some of its messages, and those are cleaned too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .usage_store import Connection, Cursor, Store, UnusableLog, check_readable, missing

WAIT_SECONDS = 5  # how long a write waits to connect, or for another's lock, before giving up on a batch
MIGRATION_LOCK = 0x6E6563_7573_6167  # "nec usag": the advisory lock replicas take to migrate one at a time
SCHEMES = ("postgresql://", "postgres://")


class _Qmark:
    """A psycopg connection that takes the log's SQL as written for sqlite3, with `?` placeholders."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, args: Sequence[object] = ()) -> Cursor:
        return self.conn.execute(self._sql(sql), args)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> Cursor:
        cursor = self.conn.cursor()
        cursor.executemany(self._sql(sql), rows)
        return cursor


class PostgresStore(Store):
    errors = (psycopg.Error,)
    types = {"boolean": "BOOLEAN",
             # reads order questions asked in the same second as inserted: SQLite's rowid, made here
             "insertion_order": ", rowid BIGINT GENERATED ALWAYS AS IDENTITY"}

    def __init__(self, url: str):
        """UnusableLog for what is not a PostgreSQL URL at all; a server that is down, a wrong database or
        password are found when it is used, and said then."""
        if not url.startswith(SCHEMES):
            raise UnusableLog("--database: give a PostgreSQL URL, postgresql://USER@HOST:PORT/DB "
                              "(the SQLite log is chosen with --data)")
        try:
            parts = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise UnusableLog(f"--database: cannot read the URL: {' '.join(str(exc).replace(url, '…').split())}") \
                from None
        self.url = url
        self._password = parts.get("password") or ""
        host = parts.get("host", "")
        self.name = (f"postgresql://{parts['user'] + '@' if 'user' in parts else ''}{host}"
                     f"{':' + parts['port'] if 'port' in parts else ''}/{parts.get('dbname', '')}")

    def describe(self, exc: BaseException) -> str:
        """On one line, and without the password."""
        said = str(exc).replace(self.url, self.name)
        if self._password:
            said = said.replace(self._password, "…")
        return " ".join(said.split())

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=WAIT_SECONDS)
        try:
            conn.execute(f"SET lock_timeout = {WAIT_SECONDS * 1000}")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._connect() as conn:
            with conn.transaction():  # one replica migrates at a time; the others then find it done
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                self.migrate(conn)
            with conn.transaction():
                yield _Qmark(conn)

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        try:
            with self._connect() as conn, conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")  # one snapshot for all
                if not self._has_version_table(conn):
                    raise missing(self.name)
                check_readable(self._stored_version(conn), self.name)
                yield _Qmark(conn)
        except psycopg.Error as exc:
            raise UnusableLog(f"cannot read the usage log at {self.name}: {self.describe(exc)}") from None

    def version(self, db: psycopg.Connection) -> int:
        if not self._has_version_table(db):
            db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            db.execute("INSERT INTO schema_version VALUES (0)")
        return self._stored_version(db)

    def apply(self, db: psycopg.Connection, n: int, sql: str) -> None:
        db.execute(sql)  # within migrate's transaction, as is the version
        db.execute("UPDATE schema_version SET version = %s", (n + 1,))

    def backup(self, target: Path) -> int:
        raise UnusableLog(f"the usage log is in PostgreSQL ({self.name}): back it up with PostgreSQL's own "
                          f"pg_dump, e.g. pg_dump --format=custom --file {target} '{self.name}'")

    @staticmethod
    def _has_version_table(db: psycopg.Connection) -> bool:
        return db.execute("SELECT to_regclass('schema_version')").fetchone()[0] is not None

    @staticmethod
    def _stored_version(db: psycopg.Connection) -> int:
        return db.execute("SELECT version FROM schema_version").fetchone()[0]
