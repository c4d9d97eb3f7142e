"""Adding reports as staff have them: every format joins the index and is answered from; bad files
are refused with nothing lost; only staff can upload."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import make_formats
import pytest

from assistant.app import build_app, launch
from assistant.build import build
from assistant.cli import main
from assistant.errors import IngestError
from assistant.intake import AUDIT_LOG, Facts, safe_name
from assistant.net import free_port
from assistant.service import Assistant
from conftest import ROOT

FORMATS = ROOT / "tests" / "fixtures" / "formats"


@pytest.fixture
def small(corpus_copy, stand_in, tmp_path) -> Assistant:
    """An assistant over a private copy of the corpus, with the stand-in embedder: adding is quick."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    return Assistant(build(corpus, tmp_path / "index", stand_in), stand_in, corpus, tmp_path / "index")


def _file(name: str) -> tuple[str, bytes]:
    return name, (FORMATS / name).read_bytes()


def test_an_added_page_is_filed_indexed_audited_and_answered_at_once(small):
    before = small.index
    staged = small.add([_file("labourlist-style.html")], Facts(), who="alice", how="test")
    assert [r.source for item in staged for r in item.reports] == ["labourlist-style.html"]
    assert (small.corpus_dir / "labourlist-style.html").exists()
    assert small.index is not before and "labourlist-style.html" in small.reports
    assert small.index.manifest["embedded_chunks"] == sum(c.source == "labourlist-style.html" for c in small.index.chunks)
    [line] = (small.corpus_dir / AUDIT_LOG).read_text().splitlines()
    entry = json.loads(line)
    assert (entry["who"], entry["file"], entry["reports"][0]["meeting_date"]) == ("alice", "labourlist-style.html",
                                                                                  "2017-03-21")
    answer = small.ask("annual conference Brighton delegate fees frozen")  # a keyword query: one line a meeting
    assert any(c.meeting_date == "2017-03-21" and "fees will be frozen" in c.quote for c in answer.citations)
    assert answer.citations[0].url == "https://labourlist.org/2017/03/nec-report-21-march-2017/"


def test_facts_given_by_staff_go_to_meetings_toml_and_win(small):
    facts = Facts(meeting_date="2017-03-22", author="A. N. Other", url="https://example.org/nec")
    small.add([_file("labourlist-style.html")], facts, who="alice", how="test")
    report = small.reports["labourlist-style.html"]
    assert (report.meeting_date.iso(), report.author, report.url) == ("2017-03-22", "A. N. Other",
                                                                      "https://example.org/nec")
    toml = (small.corpus_dir / "meetings.toml").read_text()
    assert '["labourlist-style.html"]' in toml and "# Facts about the reports" in toml  # comments kept


def test_an_archive_page_adds_one_report_per_meeting_and_its_facts_hold_for_each(small):
    small.add([_file("blog-archive.html")], Facts(author="Pat Q. Sample"), who="alice", how="test")
    parts = {r.source: (r.meeting_date.iso(), r.author) for r in small.reports.values()
             if r.source.startswith("blog-archive")}
    assert parts == {"blog-archive.html#1": ("2011-03-22", "Pat Q. Sample"),
                     "blog-archive.html#2": ("2011-01-25", "Pat Q. Sample")}


@pytest.mark.parametrize("name, data, problem", [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj <</Type /Catalog", "damaged"),
    ("report.html", b"<html><body><nav>Home</nav></body></html>", "html"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
    ("undated.txt", b"Leader's report\n\nEd spoke about the economy and the NHS at length today.\n", "meeting date"),
    ("huge.txt", b"NEC Report - 5 May 2015\n\n" + b"We agreed the budget. " * 100_000, "over the 2 MB limit"),
])
def test_a_bad_file_is_refused_by_name_and_nothing_is_added(small, name, data, problem):
    before, files = small.index, sorted(p.name for p in small.corpus_dir.iterdir())
    with pytest.raises(IngestError) as err:
        small.add([_file("labourlist-style.html"), (name, data)], Facts(), who="alice", how="test")
    assert Path(str(err.value).split(":")[0]).name == safe_name(name, data) and problem in str(err.value)
    assert small.index is before and sorted(p.name for p in small.corpus_dir.iterdir()) == files


def test_a_report_already_in_the_corpus_is_refused(small):
    data = (small.corpus_dir / "002_3538ad03228d0549.txt").read_bytes()
    with pytest.raises(IngestError, match="same text as 002_3538ad03228d0549.txt"):
        small.add([("copy.txt", data)], Facts(), who="alice", how="test")


@pytest.mark.parametrize("name, data, safe", [
    ("../../etc/passwd", b"NEC report", "passwd.txt"),
    ("..\\..\\windows\\report.md", b"NEC report", "report.md"),
    ("report.txt", b"%PDF-1.7 ...", "report.pdf"),
    ("nec report (final).docx", b"NEC report", "nec-report-final.txt"),
    ("", b"NEC report", "report.txt"),
])
def test_file_names_are_made_safe_and_end_as_their_content_is(name, data, safe):
    assert safe_name(name, data) == safe


def test_the_add_command_prints_what_it_read_and_the_chat_answers_from_it(corpus_copy, index, index_dir, tmp_path,
                                                                         capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    shutil.copytree(index_dir, tmp_path / "index", symlinks=True)
    assert main(["add", str(FORMATS / "nec-report.eml"), "--corpus", str(corpus), "--index", str(tmp_path / "index"),
                 "--url", "https://example.org/nec-sept-2025"]) == 0
    out = capsys.readouterr().out
    assert "meeting   16 September 2025" in out and "author    Jane Example" in out
    assert "left out quoted reply (8 lines)" in out and "added 1 file" in out
    assert main(["ask", "What was party membership at the end of August 2025?", "--json", "--corpus", str(corpus),
                 "--index", str(tmp_path / "index")]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert any(c["meeting_date"] == "2025-09-16" and "309,000" in c["quote"] for c in answer["citations"])
    assert answer["citations"][0]["url"] == "https://example.org/nec-sept-2025"


@pytest.fixture(scope="module")
def every_format(corpus_copy, index, embedder, tmp_path_factory) -> Assistant:
    """The real corpus with a report in every format added, on the real model."""
    folder = tmp_path_factory.mktemp("formats")
    corpus = folder / "corpus"
    shutil.copytree(corpus_copy, corpus)
    for name in ("labourlist-style.html", "blog-archive.html", "nec-report.eml"):
        shutil.copy(FORMATS / name, corpus / name)
    make_formats.two_column_pdf(corpus / "two-columns.pdf")
    make_formats.word_report(corpus / "with-headings.docx")
    return Assistant(build(corpus, folder / "index", embedder, in_service=index), embedder)


@pytest.mark.parametrize("question, source, date, evidence", [
    ("Where will annual conference be held in 2017?", "labourlist-style.html", "2017-03-21", "Brighton"),
    ("How many new members had joined since the general election?", "blog-archive.html#2", "2011-01-25", "46,000"),
    ("In what share of wards are candidates in place for the May elections?", "blog-archive.html#1", "2011-03-22",
     "94%"),
    ("What was party membership at the end of August 2025?", "nec-report.eml", "2025-09-16", "309,000"),
    ("How many members did the party have at the end of December 2016?", "two-columns.pdf", "2017-01-24", "543,645"),
    ("How many votes did the youth rep get?", "with-headings.docx", "2017-01-24", "4,210"),
])
def test_a_question_is_answered_from_a_report_in_each_format(every_format, question, source, date, evidence):
    report = every_format.reports[source]
    assert report.meeting_date.iso() == date
    answer = every_format.ask(question)
    assert any(c.source == source and c.meeting_date == date and evidence in c.quote for c in answer.citations), \
        [(c.source, c.quote[:60]) for c in answer.citations]


def test_sections_and_dropped_furniture_of_each_format(every_format):
    reports = every_format.reports
    assert [s.heading for s in reports["two-columns.pdf"].sections] == [
        "Leader's report", "General Secretary's report", "Organisation committee", "Other business"]
    assert [s.heading for s in reports["with-headings.docx"].sections] == [
        "Leader's report", "Organisation committee", "Other business"]
    assert "Youth rep | 4,210" in reports["with-headings.docx"].text
    page = reports["labourlist-style.html"]
    assert "Leader's report" in [s.heading for s in page.sections]
    assert not any(word in page.text for word in ("Related posts", "Share on", "Reply", "Subscribe"))
    assert "Hartlepool" not in reports["nec-report.eml"].text  # the quoted reply


@pytest.fixture(scope="module")
def staff_server(assistant):
    demo = build_app(assistant, staff="boss:b0ss")
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth="member:m3mber", staff="boss:b0ss", block=False)
    yield url.rstrip("/")
    demo.close()


@contextmanager
def _signed_in(url: str, user: str | None, password: str = "") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        if user:
            assert http.post("/login", data={"username": user, "password": password}).status_code == 200
        yield http


@pytest.mark.parametrize("user, password", [(None, ""), ("member", "m3mber")])
def test_anyone_but_staff_gets_403_on_every_upload_route(staff_server, user, password):
    with _signed_in(staff_server, user, password) as http:
        for route in ("/gradio_api/upload", "/upload", "/gradio_api/upload/"):
            response = http.post(route, files={"files": ("r.html", b"<html><body><p>x</p></body></html>")})
            assert response.status_code == 403 and "only staff" in response.text, (route, response.status_code)


def test_staff_may_upload(staff_server):
    with _signed_in(staff_server, "boss", "b0ss") as http:
        response = http.post("/gradio_api/upload", files={"files": ("r.html", b"<html><body><p>x</p></body></html>")})
        assert response.status_code == 200, response.text[:200]


def test_uploads_are_refused_to_everyone_when_there_is_no_staff_login(server):
    response = httpx.post(f"{server.rstrip('/')}/gradio_api/upload",
                          files={"files": ("r.html", b"<html><body><p>x</p></body></html>")}, timeout=30)
    assert response.status_code == 403


def test_questions_asked_while_a_report_is_added_are_all_answered(small):
    from concurrent.futures import ThreadPoolExecutor

    def keep_asking() -> list:
        answers = []
        while not done:
            answers.append(small.ask("What did the NEC decide about primaries?"))
        return answers

    done = False
    with ThreadPoolExecutor(2) as pool:
        askers = [pool.submit(keep_asking) for _ in range(2)]
        small.add([_file("nec-report.eml")], Facts(), who="alice", how="test")
        done = True
        answers = [a for f in askers for a in f.result()]
    assert answers and all(a.citations for a in answers)
    assert "nec-report.eml" in small.reports
