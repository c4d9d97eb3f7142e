"""More than one replica (#19): `serve --read-only` on a shared index, two replicas behind the nginx
config in deploy/, and the Dockerfile linted.

The replicas are real processes on loopback, started in parallel from one index built beforehand,
with no corpus folder at all; nginx is Debian's, running deploy/nginx.conf with the test's ports.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client

from assistant.build import build
from assistant.errors import IndexUnavailable
from assistant.intake import Facts
from assistant.net import free_port
from assistant.service import Assistant
from conftest import ROOT
from replicas import (can_mount_read_only, nginx_binary, nginx_command, render, replica_command, served, stop,
                      wait_until_up)

TREASURER = "Who is the Party Treasurer?"  # answered from the meeting of 29 May 2012
LEVY = "How much is the supporters' levy for the mayoral primary?"  # from 4 November 2014, "(£3)"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file, folder and link under `folder` with its mtime and content (sha256, or link target)."""
    found = {}
    for path in sorted([folder, *folder.rglob("*")]):
        stat = path.lstat()
        if path.is_symlink():
            content = os.readlink(path)
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = sorted(p.name for p in path.iterdir())
        found[str(path.relative_to(folder))] = (stat.st_mtime_ns, stat.st_mode, content)
    return found


def get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


def ask_api(base: str, question: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}api/v1/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


def test_the_dockerfile_passes_hadolint_without_a_warning():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is not installed: it comes with the test extra (pip install -e '.[test]', ./nec test)"
    done = subprocess.run([hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_image_builds_the_index_and_serves_it_read_only_as_a_user_who_is_not_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RUN nec-assistant index --corpus corpus --index index" in dockerfile
    assert re.search(r"(?m)^USER 10001$", dockerfile) and "useradd --create-home --uid 10001" in dockerfile
    cmd = json.loads(re.search(r"(?m)^CMD (\[.*\])$", dockerfile).group(1))
    assert cmd[:2] == ["nec-assistant", "serve"] and "--read-only" in cmd and cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert "/healthz" in re.search(r"(?ms)^HEALTHCHECK .*?$\n.*?$", dockerfile).group(0)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and "!corpus/" in ignored  # only what the image needs: no .venv, index/ or data/


def test_serve_read_only_without_an_index_exits_saying_which_folder_and_to_run_index(tmp_path):
    missing = tmp_path / "no-index"
    done = subprocess.run([str(Path(sys.executable).parent / "nec-assistant"), "serve", "--read-only", "--no-log",
                           "--index", str(missing), "--corpus", str(tmp_path / "corpus")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"no index in {missing}" in done.stderr and "run `nec-assistant index" in done.stderr
    assert "Traceback" not in done.stderr and not missing.exists()


def test_read_only_opens_a_stale_index_as_it_is_says_why_and_writes_nothing(corpus_copy, stand_in, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, index_dir, stand_in)
    before = snapshot(index_dir)
    changed = sorted(corpus.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA late addition.\n", encoding="utf-8")
    said = []

    assistant = Assistant.open(corpus, index_dir, stand_in, log=said.append, read_only=True)

    assert len(assistant.reports) == 5
    assert said == [f"the index in {index_dir} is stale against {corpus}: file changed: {changed.name}; "
                    "serving it anyway, read-only: rebuild it with `nec-assistant index`"]
    with pytest.raises(IndexUnavailable, match="open read-only"):
        assistant.add([("new.txt", b"NEC meeting, 1 May 2015\nWe agreed things.\n")], Facts(), "staff", "test")
    shutil.rmtree(corpus)  # the reports are in the index: the corpus is not needed
    assert Assistant.open(corpus, index_dir, stand_in, log=said.append, read_only=True).reports.keys() == \
        assistant.reports.keys()
    assert said[-1] == f"no corpus at {corpus}: serving the index in {index_dir} without checking it is current"
    assert snapshot(index_dir) == before


def test_read_only_refuses_a_damaged_index_saying_which_folder(corpus_copy, stand_in, tmp_path):
    build(corpus_copy, tmp_path / "index", stand_in)
    (tmp_path / "index" / "current" / "reports.json").write_text("[]")
    with pytest.raises(IndexUnavailable, match=rf"index in {re.escape(str(tmp_path / 'index'))} is damaged.*"
                                                 r"run `nec-assistant index"):
        Assistant.open(corpus_copy, tmp_path / "index", stand_in, log=lambda _: None, read_only=True)


@dataclass
class Cluster:
    url: str  # nginx, in front of both replicas
    replicas: dict[str, subprocess.Popen]  # "127.0.0.1:PORT" → its process
    logs: dict[str, Path]
    access_log: Path
    index: Path
    before: dict[str, tuple]  # snapshot of the index before the replicas started

    def served(self) -> list[tuple[str, str, str]]:
        return served(self.access_log)


@pytest.fixture(scope="module")
def cluster(index, index_dir, tmp_path_factory):
    """Two read-only replicas of one index (no corpus folder), and nginx in front, for this module."""
    nginx_binary()  # skips, or fails where servers are required, before anything starts
    folder = tmp_path_factory.mktemp("deploy")
    shared = folder / "shared-index"
    shutil.copytree(index_dir, shared, symlinks=True)
    mounted = can_mount_read_only()
    if not mounted:  # not root: permissions stop writes
        for path in [shared, *shared.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & 0o555)
    before = snapshot(shared)
    ports = [free_port(), free_port()]
    processes, logs = {}, {}
    for n, port in enumerate(ports):
        command = replica_command(shared, port, folder / "no-corpus", mounted)
        # One replica is told by the flag, the other by the environment, as a container would be.
        env = {**os.environ, "GRADIO_TEMP_DIR": str(folder / f"gradio-{n}"), "HF_HUB_OFFLINE": "1"}
        if n:
            env["NEC_ASSISTANT_READ_ONLY"] = "1"
        else:
            command.insert(command.index("serve") + 1, "--read-only")
        address = f"127.0.0.1:{port}"
        logs[address] = folder / f"replica-{port}.log"
        with open(logs[address], "w") as log:
            processes[address] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env)
    proxy = None
    try:
        for address, process in processes.items():
            wait_until_up(f"http://{address}/", process, logs[address])
        conf = render(ports, proxy_port := free_port(), folder)
        checked = subprocess.run(nginx_command(conf, "-t"), capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proxy = subprocess.Popen(nginx_command(conf, "-g", "daemon off;"), stderr=subprocess.DEVNULL)
        wait_until_up(f"http://127.0.0.1:{proxy_port}/", proxy, folder / "error.log")
        yield Cluster(f"http://127.0.0.1:{proxy_port}/", processes, logs, folder / "access.log", shared, before)
    finally:
        for process in [proxy, *processes.values()]:
            if process:
                stop(process)


def test_healthz_through_nginx_names_the_index_and_its_reports(cluster, assistant):
    status, health = get_json(f"{cluster.url}healthz")
    assert status == 200
    assert health == {"status": "ok", "index_version": assistant.index_version, "reports": 5}


def test_each_replica_serves_without_the_corpus_and_says_it_did_not_check_it(cluster):
    for log in cluster.logs.values():
        assert "no corpus at" in log.read_text() and "building" not in log.read_text()


def test_the_chat_answers_through_nginx_and_each_browser_stays_on_one_replica(cluster):
    replicas = set(cluster.replicas)
    seen: set[str] = set()
    for _ in range(30):  # each new client gets a random cookie: until both replicas have answered one
        client = Client(cluster.url, verbose=False)
        assert "nec_replica" in client.cookies
        answer = client.predict(TREASURER, "", "", "", api_name="/answer")
        assert any(c["meeting_date"] == "2012-05-29" and "Party Treasurer" in c["quote"] for c in answer["citations"])
        history, _ = client.predict(TREASURER, [], "", "", "", api_name="/chat")
        assert "Dianna Holland" in str(history[-1]["content"])
        by_cookie = defaultdict(set)
        for request, upstream, cookie in cluster.served():
            by_cookie[cookie].add(upstream)
        seen |= by_cookie[client.cookies["nec_replica"]]
        if seen == replicas:
            break
    assert seen == replicas, f"30 clients all went to {seen}"
    queue = [(request, upstream, cookie) for request, upstream, cookie in cluster.served() if "/queue/" in request]
    assert {request.split()[1] for request, _, _ in queue} == {"/gradio_api/queue/join", "/gradio_api/queue/data"}
    for cookie in {cookie for _, _, cookie in queue}:  # join and its event stream: always the same replica
        assert len({upstream for _, upstream, c in queue if c == cookie}) == 1


def test_the_api_through_nginx_answers_as_ask_json_does(cluster, assistant):
    status, answer = ask_api(cluster.url, LEVY)
    assert status == 200
    assert answer == assistant.ask(LEVY).to_dict()
    assert any(c["meeting_date"] == "2014-11-04" and "(£3)" in c["quote"] for c in answer["citations"])


def asks_logged(cluster: Cluster) -> list[str]:
    """The upstream address(es) of each API question nginx has logged, in order."""
    return [upstream for request, upstream, _ in cluster.served() if request == "POST /api/v1/ask"]


def test_a_replica_killed_loses_no_request_nginx_sends_them_to_the_other(cluster, assistant):
    dead, alive = list(cluster.replicas)
    cluster.replicas[dead].send_signal(signal.SIGKILL)
    cluster.replicas[dead].wait(10)
    expected = {q: assistant.ask(q).to_dict() for q in (TREASURER, LEVY)}
    questions = [TREASURER, LEVY] * 20
    asked_before = len(asks_logged(cluster))
    answered = [ask_api(cluster.url, q) for q in questions[:10]]
    with ThreadPoolExecutor(8) as pool:
        answered += list(pool.map(lambda q: ask_api(cluster.url, q), questions[10:]))
    assert [status for status, _ in answered] == [200] * 40
    assert [answer for _, answer in answered] == [expected[q] for q in questions]
    # nginx logs a request after its answer is sent: wait for all 40, lest an older one stand in for the last
    deadline = time.monotonic() + 10
    while len(asks_logged(cluster)) < asked_before + 40 and time.monotonic() < deadline:
        time.sleep(0.1)
    after = asks_logged(cluster)[asked_before:]
    assert len(after) == 40, after
    assert all(upstream.endswith(alive) for upstream in after), (alive, after)
    assert any(dead in upstream for upstream in after), "no request was sent to the dead replica first"
    client = Client(cluster.url, verbose=False)  # a new browser: whichever replica its cookie picks, it is served
    history, _ = client.predict(TREASURER, [], "", "", "", api_name="/chat")
    assert "Dianna Holland" in str(history[-1]["content"])


def test_the_replicas_changed_nothing_in_the_shared_index(cluster):
    assert snapshot(cluster.index) == cluster.before
