"""A real PostgreSQL server for the tests, started on loopback from Debian's packages, one per test run.

`./nec test` installs postgresql where it may (root with apt); .ci/run sets NEC_REQUIRE_SERVERS=1 so
that CI fails, rather than skips, when it is missing. initdb refuses to run as root, so as root the
server runs as the `postgres` system user, in a temporary folder handed to it. Connections over TCP
need a password (scram-sha-256), as a real deployment's would; fsync is off: nothing here outlives
the run.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from assistant.net import free_port

SUPERUSER = "postgres"
APP_USER = "nec"  # what the app connects as: owns its databases, no more


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder; skips (or fails, where servers are required) without one."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    if os.environ.get("NEC_REQUIRE_SERVERS"):
        pytest.fail("NEC_REQUIRE_SERVERS is set but PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/"
                    "initdb): apt-get install postgresql", pytrace=False)
    pytest.skip("PostgreSQL not installed (apt-get install postgresql)")


@dataclass
class Server:
    port: int
    password: str  # the superuser's and the app user's alike

    def url(self, database: str, user: str = APP_USER, password: str | None = None) -> str:
        return f"postgresql://{user}:{self.password if password is None else password}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url("postgres", SUPERUSER), autocommit=True)

    def new_database(self) -> str:
        """A fresh, empty database owned by the app user; its URL."""
        name = f"usage_{secrets.token_hex(4)}"
        with self.admin() as db:
            db.execute(f"CREATE DATABASE {name} OWNER {APP_USER}")
        return self.url(name)


@contextmanager
def started() -> Iterator[Server]:
    """Initialise a cluster in a temporary folder, start it on a free loopback port, and stop it after."""
    bin_dir = binaries()
    folder = Path(tempfile.mkdtemp(prefix="nec-postgresql-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres", "postgres")
    server = Server(free_port(), secrets.token_hex(8))
    (folder / "password").write_text(server.password)
    if as_user:
        shutil.chown(folder / "password", "postgres", "postgres")
    data = folder / "data"

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--pwfile", str(folder / "password"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8")
        run(str(bin_dir / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(folder / "server.log"), "-o",
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c full_page_writes=off")
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        with server.admin() as db:
            db.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{server.password}'")
        yield server
    finally:
        run(str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)
