"""A question asked over the web, by the chat or the JSON API: answered, timed and logged.

Both front doors go through here so that the usage log sees every question the same way. Logging
only queues a write (`UsageLog.record`), so an answer never waits for the database.
"""

from __future__ import annotations

import time

from .answer import Abstention, Answer
from .question import Question
from .retrieve import Filters
from .service import Assistant
from .usage_log import UsageLog


def ask_logged(assistant: Assistant, usage: UsageLog | None, question: str | Question,
               filters: Filters = Filters()) -> tuple[Answer, str | None]:
    """The answer, and its id in the usage log (None when nothing is logged, or nothing was asked)."""
    started = time.perf_counter()
    result = assistant.ask(question, filters=filters)
    if usage is None or result.abstention is Abstention.EMPTY_QUESTION:
        return result, None
    return result, usage.record(result, assistant.index_version, round(1000 * (time.perf_counter() - started)))
