"""What staff see of the usage log, from the command line: figures, lists, and not-helpful answers
turned into eval questions."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from assistant.evaluate import load_qa
from assistant.insights import per_week, summarise, topics
from assistant.usage_log import UsageLog, read
from conftest import MEETINGS, ROOT

TREASURER = "001_2b9f1682055ed3d0.txt"  # 29 May 2012


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def logged(folder, rows: list[tuple]) -> None:
    """A usage log holding these (id, asked_at, question, abstained, helpful, comment) rows."""
    UsageLog(folder).close()
    db = sqlite3.connect(folder / "usage.sqlite3")
    for qid, at, question, abstained, helpful, comment in rows:
        db.execute("INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, 'v', 20, ?, ?)",
                   (qid, at, question, "“Dianna Holland …” (NEC meeting, 29 May 2012 — Other issues)",
                    abstained, "no match" if abstained else None, helpful, comment))
        if not abstained:
            db.execute("INSERT INTO citations VALUES (?, 1, ?, 8583, 8744, '2012-05-29')", (qid, TREASURER))
    db.commit()
    db.close()


ROWS = [
    ("a1", "2026-11-02T09:00:00+00:00", "Who is the Party Treasurer?", 0, 1, None),
    ("a2", "2026-11-03T09:00:00+00:00", "Who was elected treasurer?", 0, 0, "wrong meeting"),
    ("a3", "2026-11-04T09:00:00+00:00", "how do I bake bread?", 1, None, None),
    ("a4", "2026-11-20T09:00:00+00:00", "What did the NEC say about the London primary?", 0, None, None),
]


def test_insights_count_questions_per_week_with_quiet_weeks_as_zero_and_the_shares(tmp_path):
    logged(tmp_path, ROWS)
    found = summarise(read(tmp_path / "usage.sqlite3"))
    assert found.per_week == [("2026-11-02", 3), ("2026-11-09", 0), ("2026-11-16", 1)]
    assert (found.asked, found.answered, found.share_answered) == (4, 3, 0.75)
    assert (found.rated, found.helpful, found.share_helpful) == (2, 1, 0.5)
    assert [q.id for q in found.unanswered] == ["a3"] and [q.id for q in found.not_helpful] == ["a2"]
    assert found.not_helpful[0].citations[0].source == TREASURER and found.not_helpful[0].comment == "wrong meeting"
    assert per_week([]) == [] and summarise([]).share_answered is None


def test_topics_are_the_words_asked_about_not_the_words_that_frame_a_question():
    asked = ["What did the NEC say about primaries?", "Who proposed the London primary?",
             "anything on the London mayoral primary", "who is the treasurer", "Treasurer re-elected?"]
    found = dict(topics(asked))
    assert found["primary"] == 3 and found["london"] == 2 and found["treasurer"] == 2
    assert not {"say", "what", "who", "did", "the"} & set(found)  # the frame, as the question model reads it


def test_the_insights_command_prints_the_figures_and_lists_between_dates(tmp_path):
    logged(tmp_path, ROWS)
    result = run("insights", "--data", str(tmp_path), "--json", "--from", "2026-11-03", "--to", "2026-11")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["asked"], data["answered"], data["rated"], data["helpful"]) == (3, 2, 1, 0)
    assert [q["id"] for q in data["not_helpful"]] == ["a2"]
    assert data["not_helpful"][0]["citations"] == [
        {"source": TREASURER, "start": 8583, "end": 8744, "meeting_date": "2012-05-29"}]

    text = run("insights", "--data", str(tmp_path)).stdout
    assert "4 questions asked from the start to now" in text and "answered       75% (3 of 4)" in text
    assert "a2  Who was elected treasurer?  — “wrong meeting”" in text
    assert f"cited: 2012-05-29 {TREASURER} 8583–8744" in text

    bad = run("insights", "--data", str(tmp_path), "--from", "last week")
    assert bad.returncode == 1 and "from must be a year, YYYY-MM or YYYY-MM-DD" in bad.stderr
    missing = run("insights", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no usage log at" in missing.stderr


def test_feedback_export_lists_passages_to_pick_then_writes_eval_items_in_the_qa_format(
        tmp_path, corpus_copy, index_dir, index):
    logged(tmp_path, ROWS)
    where = ["--data", str(tmp_path), "--corpus", str(corpus_copy), "--index", str(index_dir)]
    listing = run("feedback", "export", *where)
    assert listing.returncode == 0, listing.stderr
    assert "a2  2026-11-03  Who was elected treasurer?" in listing.stdout and "a1 " not in listing.stdout
    offered = [line.split()[0] for line in listing.stdout.splitlines() if line.startswith("   ") and ":" in line]
    assert f"{TREASURER}:" in " ".join(offered)

    pick = next(p for p in offered if p.startswith(TREASURER))
    out = tmp_path / "eval" / "from-members.jsonl"
    written = run("feedback", "export", "--pick", f"a2={pick}", "--out", str(out), *where)
    assert written.returncode == 0, written.stderr
    (item,) = load_qa(out)
    assert item.id == "m-a2" and item.question == "Who was elected treasurer?"
    assert item.meeting_date == MEETINGS[TREASURER] and item.evidence and item.tags == ["from-members"]
    assert item.evidence[0] in index.reports[TREASURER].text

    again = run("feedback", "export", "--pick", f"a2={pick}", "--pick", f"a4={pick}", "--out", str(out), *where)
    assert again.returncode == 0 and [i.id for i in load_qa(out)] == ["m-a2", "m-a4"]  # a2 replaced, not doubled

    wrong = run("feedback", "export", "--pick", f"a2={TREASURER}:99999999", "--out", str(out), *where)
    assert wrong.returncode == 1 and "no passage of the reports" in wrong.stderr
    unknown = run("feedback", "export", "--pick", f"zz={pick}", "--out", str(out), *where)
    assert unknown.returncode == 1 and "no question 'zz' in the usage log" in unknown.stderr
