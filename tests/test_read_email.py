"""The email reader: an email to members becomes the sender's report, without quoted replies or signature."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from assistant.dates import MeetingDate
from assistant.errors import IngestError
from assistant.readers import Document
from assistant.readers.eml import read

FIXTURE = Path(__file__).parent / "fixtures" / "formats" / "nec-report.eml"
QUOTED = ("Our GC meets on 25 September", "Hartlepool", "wrote:", "Thanks, Sam")
SIGNATURE = ("CLP representative, Labour National Executive Committee", "07700 900123", "jane@example.org")


def _email(body: str, subject: str = "NEC report", sender: str = "Jane Example <jane@example.org>",
           date: str = "Thu, 18 Sep 2025 21:14:05 +0100") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Date"], msg["Subject"] = sender, date, subject
    msg.set_content(body)
    return msg.as_bytes()


def _read(data: bytes) -> Document:
    [doc] = read(Path("message.eml"), data)
    return doc


@pytest.fixture(scope="module")
def report() -> Document:
    return _read(FIXTURE.read_bytes())


def test_subject_from_and_date_give_title_author_and_posting_date(report):
    assert report.format == "email"
    assert report.title == "Report of the NEC meeting on 16 September 2025"  # "Re: " taken off
    assert report.author == "Jane Example"
    assert report.posted == MeetingDate(2025, 9, 18)  # when it was sent, two days after the meeting
    assert report.url is None


def test_the_plain_text_part_is_read_faithfully(report):
    lines = report.text.splitlines()
    assert lines[:3] == ["Dear all,", "", "Here is my report of the NEC meeting held on Tuesday 16 September 2025. "
                         "As always, this is my own account and not the official minutes, so please check with me "
                         "before quoting it in public."]
    assert "LEADER'S REPORT" in lines and "OTHER BUSINESS" in lines
    assert "* We approved 27 candidates for the Senedd closed lists, the first elections under the new system." in lines
    assert "- The next NEC meeting is on 25 November." in lines
    assert report.text.endswith("Best wishes,\nJane")


def test_the_quoted_reply_and_the_signature_are_dropped_and_named(report):
    for text in QUOTED + SIGNATURE:
        assert text not in report.text, text
    assert not any(line.startswith(">") for line in report.text.splitlines())
    assert report.dropped == ("quoted reply (8 lines)", "signature (3 lines)")


def test_an_html_only_email_is_read_through_the_html_reader_with_headings_and_bullets():
    fixture = email.message_from_bytes(FIXTURE.read_bytes(), policy=email.policy.default)
    msg = EmailMessage()
    for name in ("From", "Date", "Subject"):
        msg[name] = fixture[name]
    msg.set_content(fixture.get_body(("html",)).get_content(), subtype="html")
    doc = _read(msg.as_bytes())
    lines = doc.text.splitlines()
    assert "## General Secretary's report" in lines
    assert "• Membership stood at 309,000 at the end of August." in lines
    assert "We approved 27 candidates for the Senedd closed lists" in doc.text
    for text in QUOTED + SIGNATURE:
        assert text not in doc.text, text
    assert doc.dropped == ("quoted reply", "signature (3 lines)")


def test_a_quoted_reply_whose_on_wrote_line_is_wrapped_is_dropped_whole():
    doc = _read(_email("The NEC agreed the conference timetable.\n\n"
                       "On Mon, 15 Sept 2025 at 09:12, Sam Secretary <\nsecretary@exampleclp.org.uk> wrote:\n"
                       ">\n> Can you send the report?\n"))
    assert doc.text == "The NEC agreed the conference timetable."
    assert doc.dropped == ("quoted reply (4 lines)",)


def test_an_outlook_original_message_block_is_dropped():
    doc = _read(_email("The NEC approved 14 new affiliations.\n\nJane\n\n-----Original Message-----\n"
                       "From: Sam Secretary\nSent: 15 September 2025 09:12\nSubject: NEC report\n\n"
                       "Please send your report before our GC.\n"))
    assert doc.text == "The NEC approved 14 new affiliations.\n\nJane"
    assert doc.dropped == ("original message (5 lines)",)


def test_a_forwarded_report_is_kept():
    doc = _read(_email("FYI, Jane's report below.\n\n---------- Forwarded message ---------\n"
                       "From: Jane Example <jane@example.org>\n\nThe NEC approved 14 new affiliations.\n",
                       subject="Fwd: NEC report", sender="secretary@exampleclp.org.uk"))
    assert "The NEC approved 14 new affiliations." in doc.text
    assert (doc.title, doc.author, doc.dropped) == ("NEC report", "secretary@exampleclp.org.uk", ())


def test_a_digest_of_several_reports_stays_one_document_for_ingest_to_split():
    body = ("NEC report – 25 January 2011\n\nThe NEC met on 25 January 2011.\n\n"
            "NEC report – 22 March 2011\n\nThe NEC met on 22 March 2011.\n")
    [doc] = read(Path("digest.eml"), _email(body, subject="NEC reports digest"))
    assert doc.text == body.strip()


def test_posted_is_the_day_in_the_senders_time_zone():
    doc = _read(_email("The NEC met.", date="Thu, 18 Sep 2025 23:30:00 -0500"))
    assert doc.posted == MeetingDate(2025, 9, 18)


@pytest.mark.parametrize("data", [b"Just some notes about the NEC.\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b""])
def test_a_file_that_is_not_an_email_is_refused_saying_so(data):
    with pytest.raises(IngestError, match="not an email: it has no From, Date or Subject header"):
        read(Path("notes.eml"), data)


def test_an_email_with_only_an_attachment_is_refused_saying_so():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "jane@example.org", "NEC report"
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="report.pdf")
    with pytest.raises(IngestError, match="no plain-text or HTML part"):
        read(Path("attached.eml"), msg.as_bytes())


def test_an_email_that_is_all_quote_and_signature_is_refused_saying_so():
    with pytest.raises(IngestError, match="no text of its own"):
        read(Path("reply.eml"), _email("> Can you send the report?\n-- \nJane\n"))
