"""A free port on loopback, for serving the app where the port number does not matter (tests, benchmarks)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
