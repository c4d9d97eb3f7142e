"""The errors NEC Assistant reports to people, in one place so both shells catch the same ones.

Each message says what is wrong and where (file and line, where there is one): the command line
prints it and exits 1, the web app shows it.
"""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A report that cannot be read; the message names the file (and line, where there is one)."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.line = Path(path), problem, line


class IndexUnavailable(Exception):
    """The index cannot be used; the message says why."""


class QAFormatError(Exception):
    """A line of a question/answer file is malformed; the message names file and line."""


class BadFilter(ValueError):
    """A meeting or date filter that is not YYYY, YYYY-MM or YYYY-MM-DD; the message names the field."""


class BadLogin(ValueError):
    """A login or API token given to `serve` that cannot be used; the message says which and why."""
