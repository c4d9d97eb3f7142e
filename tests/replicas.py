"""Replicas of the app behind Debian's nginx, started on loopback for tests/test_deploy.py.

Each replica is a real `nec-assistant serve --read-only` process. As root, each sees the index
folder through a read-only bind mount in a mount namespace of its own (`unshare -m`), so a write
would fail as on a read-only volume; chmod stops no write made as root. nginx runs the
config in deploy/ as it is, with the test's ports and its files in a temporary folder.
`./nec test` installs nginx where it may; .ci/run sets NEC_REQUIRE_SERVERS=1 so that CI fails,
rather than skips, when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_CONF = ROOT / "deploy" / "nginx.conf"
# The access log says which replica (or replicas, when one failed) each request went to, and with which cookie.
LOG_FORMAT = "'$request_method $uri $status upstream=$upstream_addr cookie=$cookie_nec_replica'"
_LOGGED = re.compile(r"(?P<request>\S+ \S+) (?P<status>\d+) upstream=(?P<upstream>.*?) cookie=(?P<cookie>\S*)$")


def nginx_binary() -> str:
    """nginx's path; skips (or fails, where servers are required) without it."""
    if os.access(NGINX, os.X_OK):
        return NGINX
    if os.environ.get("NEC_REQUIRE_SERVERS"):
        pytest.fail(f"NEC_REQUIRE_SERVERS is set but nginx is not installed (no {NGINX}): apt-get install nginx",
                    pytrace=False)
    pytest.skip("nginx not installed (apt-get install nginx)")


def render(upstreams: list[int], port: int, folder: Path) -> Path:
    """deploy/nginx.conf with these replica ports and listening on `port`, in a main config whose
    pid, logs and temporary files are in `folder`."""
    conf = DEPLOY_CONF.read_text(encoding="utf-8")
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in upstreams)
    conf, found = re.subn(r"(?m)^    server 127\.0\.0\.1:\d+ .*\n(?:    server .*\n)*", servers, conf)
    conf, listens = re.subn(r"(?m)^    listen 80;", f"    listen 127.0.0.1:{port};", conf)
    assert found == 1 and listens == 1, "deploy/nginx.conf no longer has the upstream servers and listen line"
    (folder / "nec-assistant.conf").write_text(conf, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {folder / "nginx.pid"};
events {{ worker_connections 512; }}
http {{
    log_format upstream {LOG_FORMAT};
    access_log {folder / "access.log"} upstream;
{temp}
    include {folder / "nec-assistant.conf"};
}}
""", encoding="utf-8")
    return main


def served(access_log: Path) -> list[tuple[str, str, str]]:
    """(method and path, upstream address(es), replica cookie) of each request nginx passed on, in order."""
    return [(m["request"], m["upstream"], m["cookie"]) for m in map(_LOGGED.match, access_log.read_text().splitlines())
            if m]


def nginx_command(conf: Path, *extra: str) -> list[str]:
    folder = conf.parent
    return [nginx_binary(), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"), *extra]


def can_mount_read_only() -> bool:
    """Whether a read-only bind mount can be made in a mount namespace here (root, and allowed)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


def replica_command(index: Path, port: int, corpus: Path, read_only_mount: bool) -> list[str]:
    command = [str(Path(sys.executable).parent / "nec-assistant"), "serve", "--no-log", "--host", "127.0.0.1",
               "--port", str(port), "--index", str(index), "--corpus", str(corpus)]
    if not read_only_mount:
        return command
    mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", mount, str(index), *command]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    """Until `url` answers; fails with the log's end when the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited ({process.returncode}):\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} not up after {seconds:.0f} s:\n{log.read_text()[-3000:]}", pytrace=False)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
