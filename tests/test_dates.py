import pytest

from assistant.dates import MeetingDate, find_dates, mentioned_periods


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("NEC Report – November 27th, 2012", "2012-11-27"),
        ("29th November, 2012 9:50 am", "2012-11-29"),
        ("May 30, 2012 1:49 pm", "2012-05-30"),
        ("meeting held on 1st November 2011", "2011-11-01"),
        ("the 4th of November 2014", "2014-11-04"),
        ("NEC Report – July 2013", "2013-07"),
        ("Sept 2015", "2015-09"),
        ("2014-11-04", "2014-11-04"),
        ("04/11/2014", "2014-11-04"),
    ],
)
def test_find_dates_reads_each_way_reports_write_dates(text, iso):
    assert [m.date.iso() for m in find_dates(text)] == [iso]


def test_impossible_dates_are_not_dates():
    assert find_dates("31st February 2013") == [] or find_dates("31st February 2013")[0].date.day is None


def test_month_precision_is_kept():
    date = MeetingDate.parse_iso("2015-11")
    assert (date.iso(), date.human(), date.day) == ("2015-11", "November 2015", None)
    assert MeetingDate.parse_iso("2013-07-16").human() == "16 July 2013"


def test_parse_iso_rejects_nonsense():
    with pytest.raises(ValueError):
        MeetingDate.parse_iso("July 2013")


def test_mentioned_periods_in_questions():
    assert mentioned_periods("What happened in July 2013?") == ({(2013, 7)}, set())
    assert mentioned_periods("at the 2011 away day") == (set(), {2011})


def test_seasons_and_parts_of_a_year_name_months():
    months, years = mentioned_periods("Who chaired the PLP in spring 2012?")
    assert months == {(2012, 3), (2012, 4), (2012, 5)} and years == set()
    assert (2012, 11) in mentioned_periods("by the end of 2012")[0]
