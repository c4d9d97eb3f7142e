"""The command line as a user runs it: a real process, real model, JSON out."""

import json
import os
import subprocess
import sys

from conftest import ROOT


def run(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_search_json_builds_missing_index_then_answers(corpus_copy, tmp_path):
    index_dir = tmp_path / "index"
    result = run("search", "When was the timetable for the Mayoral primary agreed?", "--json", "--k", "3",
                 "--corpus", str(corpus_copy), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert "building the index: no index" in result.stderr
    hits = json.loads(result.stdout)
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["meeting_date"] == "2014-11-04" and "timetable for the Mayoral primary" in hits[0]["text"]
    assert (index_dir / "current" / "manifest.json").exists()

    result = run("ask", "How much is the supporters' levy for the mayoral primary?", "--json",
                 "--corpus", str(corpus_copy), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert "building" not in result.stderr  # the index from the first call is reused
    data = json.loads(result.stdout)
    assert set(data) >= {"question", "answer", "abstained", "citations"} and data["abstained"] is False
    assert any(c["meeting_date"] == "2014-11-04" and "(£3)" in c["quote"] for c in data["citations"])
    assert set(data["citations"][0]) >= {"meeting_date", "section", "source", "quote"}


def test_bad_report_gives_a_clear_error_not_a_traceback(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nodate.txt").write_text("We agreed many things at this meeting of the committee today.\n")
    result = run("index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 1
    assert "nodate.txt" in result.stderr and "Traceback" not in result.stderr
