"""Crash safety: a build killed at any point leaves the previous index loadable and serving."""

import os
import shutil
import signal
import subprocess
import sys
import time

from assistant.build import open_index
from assistant.store import load
from assistant.service import Assistant
from conftest import ROOT

NEW_REPORT = "NEC Report – 3rd March 2015\n\nTreasurer's report\n\nThe Treasurer reported a record surplus this year.\n"


def test_killing_the_build_at_any_point_keeps_the_previous_index(corpus_copy, embedder, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus_copy, corpus)
    before = open_index(corpus, index_dir, embedder, log=lambda _: None)
    (corpus / "005_new.txt").write_text(NEW_REPORT, encoding="utf-8")
    toml = corpus / "meetings.toml"  # every report's table changed: a full rebuild, every stage
    toml.write_text(toml.read_text(encoding="utf-8").replace('"Johanna Baxter"', '"Johanna Baxter (NEC)"'),
                    encoding="utf-8")
    stages = []
    for delay in (0.5, 2.0, 4.0, 6.0, 8.0, 10.0):
        child = subprocess.Popen([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus),
                                  "--index", str(index_dir)], cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 env={**os.environ, "HF_HUB_OFFLINE": "1"}, start_new_session=True)
        time.sleep(delay)
        finished = child.poll() is not None
        if not finished:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        said = child.stderr.read().decode("utf-8", "replace").strip().splitlines()
        stages.append((delay, finished, said[-1] if said else "(nothing yet)"))
        served = load(index_dir)  # never a half-written index
        if "005_new.txt" in served.reports:  # the build completed before the kill: that is the new index, whole
            break
        assert served.chunks == before.chunks
        result = Assistant(served, embedder).ask("How much will supporters pay to vote in the London mayoral primary?")
        assert any("(£3)" in c.quote for c in result.citations)
    print("\n".join(f"killed after {d:4.1f} s ({'already done' if f else 'running'}): last said {s!r}" for d, f, s in stages))
    assert len(stages) >= 3 and not stages[0][1]  # killed mid-build at least three times
    after = open_index(corpus, index_dir, embedder, log=lambda _: None)  # the next start finishes the job
    assert "005_new.txt" in after.reports
    assert len(list(index_dir.glob("build-*"))) == 1  # debris of killed builds cleared
