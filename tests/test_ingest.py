"""Ingestion of the five reports we start from, and of layouts it has never seen."""

import pytest

from assistant.errors import IngestError
from assistant.ingest import load_metadata, read_corpus, read_report_file
from conftest import CORPUS, MEETINGS

FURNITURE = [
    "David Brede", "Daniel Speight", "Well I guess the answer is no", "John Ruddy", "Brumanuensis", "robertcp",
    "Osborne announces major u-turns", "Read more", "Douglas Carswell", "Shaun Wright", "Share this Article",
    "Share with your friends", "More from LabourList", "DONATE HERE", "SUBSCRIBE TO OUR DAILY EMAIL",
    "Small monthly donations", "Will Labour’s seven suspended rebel MPs", "Featured News", "PMQs Verdict",
]


@pytest.mark.parametrize(("source", "iso"), MEETINGS.items())
def test_meeting_date_of_each_report(reports, source, iso):
    assert reports[source].meeting_date.iso() == iso


def test_meeting_date_not_posting_date(reports):
    # "NEC Report – November 27th, 2012" was posted "29th November, 2012 9:50 am".
    report = reports["000_91861b23e65b3d24.txt"]
    assert report.meeting_date.iso() == "2012-11-27"
    assert any("posting date 29 November 2012" in note for note in report.notes)


def test_day_beats_month_only_title(reports):
    # Titled "NEC Report – July 2013"; the text says the meeting was held on 16th July 2013.
    assert reports["002_3538ad03228d0549.txt"].meeting_date.iso() == "2013-07-16"


def test_undated_report_takes_its_date_from_metadata(reports):
    report = reports["003_f1e80eed3dac3883.txt"]
    assert report.meeting_date.iso() == "2014-11-04"
    assert any("meetings.toml" in note for note in report.notes)


EXPECTED_SECTIONS = {
    "000_91861b23e65b3d24.txt": ["Opening", "Aims & Objectives", "Leader & Deputy Leader Reports", "Other matters",
                                 "Keeping in touch"],
    "001_2b9f1682055ed3d0.txt": ["Opening", "Campaign Co-ordinator’s report", "Deputy Leader’s report",
                                 "General Secretary’s report", "Other issues", "Keeping in touch"],
    "002_3538ad03228d0549.txt": ["Opening", "Matthew McGregor’s Digital Report", "Leaders Report",
                                 "NPF Chair’s report", "Other issues", "Keeping in touch"],
    "003_f1e80eed3dac3883.txt": ["Opening", "Executive Director Reports and Plans", "Leader & Deputy Leader’s report",
                                 "Association of Labour Councillors (ALC) Report", "EPLP Report",
                                 "Scottish Independence Referendum", "Other issues", "Keeping in touch"],
    "004_eee83492649532ac.txt": ["Opening", "Campaign Co-ordinators report", "Boundary Review", "GS Report",
                                 "Conference", "Refounding labour", "Leaders report", "Deputy Leaders report",
                                 "NEC Aims and Objectives", "Other issues", "Keeping in touch"],
}


@pytest.mark.parametrize(("source", "headings"), EXPECTED_SECTIONS.items())
def test_sections_of_each_report(reports, source, headings):
    assert [s.heading for s in reports[source].sections] == headings


@pytest.mark.parametrize("source", MEETINGS)
def test_no_page_furniture_in_cleaned_text(reports, source):
    text = reports[source].text
    assert [f for f in FURNITURE if f in text] == []


@pytest.mark.parametrize(
    ("source", "first", "last"),
    [
        ("000_91861b23e65b3d24.txt", "This was the NEC’s ‘away’ day", "please don’t hesitate to get in touch."),
        ("001_2b9f1682055ed3d0.txt", "This was the first meeting of the NEC in the party’s lovely new offices",
         "please don’t hesitate to get in touch."),
        ("002_3538ad03228d0549.txt", "Jonathan Ashworth was welcomed", "a good break over the summer holidays!"),
        ("003_f1e80eed3dac3883.txt", "This meeting was our annual ‘away-day’", "please don’t hesitate to get in touch."),
        ("004_eee83492649532ac.txt", "The NEC paid tribute to comrades", "I’ll do my best to get there."),
    ],
)
def test_whole_report_body_is_kept(reports, source, first, last):
    report = reports[source]
    body = report.text[report.sections[0].start:]
    assert body.startswith(first)
    assert body.endswith(last)


def test_bullets_are_paragraphs_of_their_section(reports):
    report = reports["002_3538ad03228d0549.txt"]
    digital = report.sections[1]
    paragraphs = [report.text[p.start:p.end] for p in digital.paragraphs]
    assert all(p.bullet for p in digital.paragraphs)
    assert "How can we encourage local parties to share data?" in paragraphs  # "1. How can we…"
    assert not any(p.startswith(("•", "-", "1.")) for p in paragraphs)


def test_paragraph_broken_by_a_stray_blank_line_is_mended(reports):
    text = reports["004_eee83492649532ac.txt"].text
    assert "support our 'Jobs and Growth' campaign." in text
    assert "an e-mail that Banff and Buchan CLP sent me" in text


def test_markdown_links_and_bold_are_unwrapped(reports):
    text = reports["004_eee83492649532ac.txt"].text
    assert "[here](#)" not in text and "**" not in text
    assert "Rochford & Southend East CLP, South West Norfolk CLP" in text


def test_author_from_byline_without_metadata():
    [report] = read_report_file(CORPUS / "004_eee83492649532ac.txt", metadata={})
    assert report.author == "Johanna Baxter"


def test_report_with_no_findable_date_is_refused_with_file_name(make_corpus):
    corpus = make_corpus({"undated.txt": "Leader's report\n\nEd spoke about the economy and the NHS at length today.\n"})
    with pytest.raises(IngestError) as err:
        read_corpus(corpus)
    message = str(err.value)
    assert "undated.txt" in message and "meeting date" in message and "meetings.toml" in message


def test_posting_date_alone_is_not_taken_for_the_meeting_date(make_corpus):
    corpus = make_corpus({"posted.txt": "NEC Report\n\nPosted 3rd March 2015 10:12 am\n\nWe agreed the budget for the year.\n"})
    with pytest.raises(IngestError, match=r"posted.txt: cannot find the meeting date \(ignored posting date 3 March 2015"):
        read_corpus(corpus)


def test_month_only_date_keeps_its_precision(make_corpus):
    corpus = make_corpus({"m.txt": "NEC Report – March 2015\n\nWe agreed the budget for the coming year after a long debate.\n"})
    [report] = read_corpus(corpus)
    assert report.meeting_date.iso() == "2015-03"
    assert report.meeting_date.human() == "March 2015"


def test_unseen_markdown_layout(make_corpus):
    corpus = make_corpus({"other.md": """# NEC meeting, 10 March 2015

By Ann Example

Published 12 March 2015 09:00

## Treasurer's report

The Treasurer reported a surplus for the year and the accounts were approved.

## Selections

1) We agreed the timetable for the remaining selections.
2) We noted the shortlists for the by-elections.

Comments

Joe Bloggs: great report, thanks!
"""})
    [report] = read_corpus(corpus)
    assert report.meeting_date.iso() == "2015-03-10"
    assert report.author == "Ann Example"
    assert [s.heading for s in report.sections] == ["Treasurer's report", "Selections"]
    assert "We agreed the timetable for the remaining selections." in report.text
    assert "Joe Bloggs" not in report.text


def test_meeting_date_without_year_takes_the_posting_year(make_corpus):
    corpus = make_corpus({"email.md": """From: Christine Example
Sent: Wednesday, 25 January 2017 18:02
Subject: Report of the NEC meeting on Tuesday 24th January

Dear colleagues, here is my report of yesterday's meeting of the NEC.

**Leader's report**
Jeremy spoke about the two by-elections, where candidate selections were completed last week.

**Membership**
The party now has around 530,000 members.
"""})
    [report] = read_corpus(corpus)
    assert report.meeting_date.iso() == "2017-01-24"
    assert report.title == "Report of the NEC meeting on Tuesday 24th January"
    assert report.author == "Christine Example"
    assert [s.heading for s in report.sections] == ["Opening", "Leader's report", "Membership"]
    assert any("from the posting date 25 January 2017 (line 2)" in note for note in report.notes)


def test_date_without_year_before_new_year_is_last_year(make_corpus):
    corpus = make_corpus({"dec.txt": "Jo Bloggs's report: NEC meeting, 16 December\n\nPosted 3 January 2017 09:00\n\n"
                                     "We agreed the timetable for the selections in the new year.\n"})
    [report] = read_corpus(corpus)
    assert report.meeting_date.iso() == "2016-12-16"
    assert report.author == "Jo Bloggs"


def test_date_without_year_on_the_wrong_weekday_is_not_taken(make_corpus):
    corpus = make_corpus({"wrong.txt": "NEC meeting on Monday 24th January\n\nPosted 25 January 2017 09:00\n\n"
                                       "We agreed the timetable for the selections in the new year.\n"})
    with pytest.raises(IngestError, match="wrong.txt: cannot find the meeting date"):
        read_corpus(corpus)


@pytest.mark.parametrize("text, iso", [
    ("NEC report\n\nThe NEC met on Tuesday 21st March 2017 at Southside. Here is what happened.\n", "2017-03-21"),
    ("Report back from the National Executive Committee\nMeeting date: 14.02.2017\nAuthor: Jane Roe\n\n"
     "- The committee agreed the budget for the year.\n", "2017-02-14"),
])
def test_meeting_date_in_other_wordings(make_corpus, text, iso):
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == iso


def test_metadata_date_overrides_and_is_noted(make_corpus):
    corpus = make_corpus({
        "r.txt": "NEC Report – 5th May 2015\n\nWe agreed the budget for the coming year after a long debate.\n",
        "meetings.toml": '["r.txt"]\nmeeting_date = "2015-05-06"\n',
    })
    [report] = read_corpus(corpus)
    assert report.meeting_date.iso() == "2015-05-06"
    assert any("the text says 5 May 2015" in n for n in report.notes)


def test_bad_metadata_date_names_the_file(make_corpus):
    corpus = make_corpus({
        "r.txt": "We agreed the budget for the coming year after a long debate.\n",
        "meetings.toml": '["r.txt"]\nmeeting_date = "last May"\n',
    })
    with pytest.raises(IngestError, match=r"r.txt: bad meeting_date in meetings.toml"):
        read_corpus(corpus)


def test_non_utf8_report_names_file_and_line(make_corpus):
    corpus = make_corpus({"latin1.txt": "NEC Report - 5th May 2015\n\nWe agreed the caf\xe9 budget.\n".encode("latin-1")})
    with pytest.raises(IngestError, match=r"latin1.txt:3: this is text that is not UTF-8"):
        read_corpus(corpus)


def test_metadata_file_is_valid():
    metadata = load_metadata(CORPUS)
    assert metadata["003_f1e80eed3dac3883.txt"]["meeting_date"] == "2014-11-04"


@pytest.mark.parametrize("text, iso", [
    ("Tuesday, January 25, 2011\n\nThe NEC met today at Victoria Street, and the main business was the budget.\n",
     "2011-01-25"),
    ("NEC report 25/9/18\n\nLeader's report\n\nJeremy opened the meeting with thanks to the conference staff.\n",
     "2018-09-25"),
    ("NEC meeting – Tuesday 21st March 2017\n\nThe committee agreed the timetable for the May elections.\n",
     "2017-03-21"),
])
def test_dates_in_the_common_written_forms_are_read(make_corpus, text, iso):
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == iso


def test_a_weekday_that_does_not_match_its_date_is_noted_with_its_line(make_corpus):
    text = "Posted by Jo\n\nNEC meeting, Wednesday 25 January 2011\n\nThe committee agreed the budget for the year.\n"
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == "2011-01-25"
    assert any("line 3 says Wednesday 25 January 2011, but that was a Tuesday" in note for note in report.notes)


def test_a_meeting_date_without_a_year_takes_the_year_from_the_emails_date(tmp_path):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"] = "Jo Example <jo@example.org>", "My NEC report"
    message["Date"], message["Message-ID"] = "Fri, 02 Dec 2016 09:00:00 +0000", "<1@example.org>"
    message.set_content("Dear members,\n\nThis is my report of my first full NEC meeting on 30 November, at which "
                        "we agreed the rules for the leadership election.\n\nBest wishes, Jo\n")
    path = tmp_path / "report.txt"  # the name says text; the content says email
    path.write_bytes(message.as_bytes())
    [report] = read_report_file(path)
    assert report.meeting_date.iso() == "2016-11-30" and report.author == "Jo Example"
    assert any("from the posting date 2 December 2016 (the file's own date)" in note for note in report.notes)


@pytest.mark.parametrize("text, found", [
    ("My report\n\nThis was my first full NEC meeting on 30 November and the agenda was long and varied.\n",
     "found '30 November' on line 3 but no year"),
    ("NEC report\n\nThe NEC meeting held on 12 July had a long agenda on selections and on the budget.\n",
     "found '12 July' on line 3 but no year"),
    ("16th September\n\nNEC report\n\nWe agreed the timetable for the selections in the new year.\n",
     "found '16th September' on line 1 but no year"),
    ("This week's NEC\n\nThe NEC met today and agreed the timetable for the selections in the new year.\n",
     "found 'This week's' on line 1 but no date"),
])
def test_a_report_without_a_year_is_refused_saying_what_was_found(make_corpus, text, found):
    with pytest.raises(IngestError) as err:
        read_corpus(make_corpus({"r.txt": text}))
    assert found in str(err.value) and "meeting_date" in str(err.value) and "--date" in str(err.value)


def test_a_page_holding_two_meetings_reports_becomes_two_reports(make_corpus):
    first = ("NEC report – 25 January 2011\n\nLeader's report\n\nEd Miliband thanked the staff for the Oldham "
             "East campaign and the result there.\n\nWe agreed the budget for the coming year after a long debate.\n\n")
    second = ("NEC report – 22 March 2011\n\nLeader's report\n\nEd spoke about the March for the Alternative and "
              "the cuts to local services.\n\nWe approved 12 new candidates for the Welsh Assembly elections.\n")
    reports = read_corpus(make_corpus({"archive.txt": first + second}))
    assert [(r.source, r.meeting_date.iso()) for r in reports] == [("archive.txt#1", "2011-01-25"),
                                                                   ("archive.txt#2", "2011-03-22")]
    assert "Welsh Assembly" in reports[1].text and "Welsh Assembly" not in reports[0].text
    assert [s.heading for s in reports[1].sections] == ["Leader's report"]


@pytest.mark.parametrize("text, iso", [
    ("Gemma's NEC update\n\nLabour's National Executive Committee met yesterday 20th July 2021 and ran late into "
     "the evening. Below is a report of the key decisions.\n", "2021-07-20"),
    ("NEC report\n\n2020 opened with a full NEC meeting on Monday 6th January, with a long agenda on the "
     "leadership election timetable.\n", "2020-01-06"),
    ("Hello\n\nBelow is a brief report on today's NEC meeting, please share it with your branch.\n\n"
     "Everything is now falling into place for the election, and it only remains to wish everyone luck.\n\n"
     "Ann Example\n\nNEC representative\n\nNational Executive Committee, 4 June 2024\n\n"
     "This replaced the meeting scheduled for 28 May and the next meeting is on 20 July 2024.\n", "2024-06-04"),
])
def test_meeting_dates_stated_in_the_body_of_real_reports_are_found(make_corpus, text, iso):
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == iso


def test_a_weekday_without_a_year_takes_the_one_year_named_where_it_fits(make_corpus):
    text = ("NEC report\n\nThe NEC met on Tuesday 20 September, just before Annual Conference 2022 and the "
            "spending plans for 2023.\n")
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == "2022-09-20"  # a Tuesday in 2022, a Wednesday in 2023
    assert any("the only year the report names in which that day was a Tuesday" in n for n in report.notes)


def test_a_day_without_a_year_takes_it_from_the_month_the_title_names(make_corpus):
    text = "NEC Report – September 2011\n\nThe NEC met on 20 September, our last meeting before conference.\n"
    [report] = read_corpus(make_corpus({"r.txt": text}))
    assert report.meeting_date.iso() == "2011-09-20"
    assert any("from the month the report names" in n for n in report.notes)
