"""The Decisions tab: the decision log as a table, filtered by topic and dates, as CSV, and through the API."""

from __future__ import annotations

import csv

import gradio as gr
import pytest
from gradio_client import Client

from assistant.app import (CSV_FIELDS, CSV_NAME, chosen_decisions, decisions_csv_file, decisions_table, decisions_view,
                           write_decisions_csv)


def test_table_lists_the_mayoral_primary_decision_with_its_meeting(index):
    rows = decisions_table(index.decisions, index.reports)
    primary = [r for r in rows if "the timetable for the Mayoral primary" in r["text"]]
    assert [(r["meeting_date"], r["meeting"], r["section"]) for r in primary] == [
        ("2014-11-04", "4 November 2014", "Other issues")]
    assert [r["meeting_date"] for r in rows] == sorted(r["meeting_date"] for r in rows)


def test_topic_filter_keeps_only_the_mayoral_primary_meeting(assistant):
    rows = decisions_table(chosen_decisions(assistant, "London mayoral primary", "", ""), assistant.reports)
    assert rows and {r["meeting_date"] for r in rows} == {"2014-11-04"}
    assert any("Mayoral primary" in r["text"] for r in rows)


def test_date_filter_keeps_only_meetings_up_to_the_date(assistant):
    rows = decisions_table(chosen_decisions(assistant, "", "", "2012"), assistant.reports)
    assert rows and all(r["meeting_date"] <= "2012-12-31" for r in rows)
    assert len(rows) < len(assistant.decisions())


@pytest.mark.parametrize(("date_from", "date_to", "field"), [("2012-13", "", "from"), ("", "last year", "to")])
def test_a_bad_date_is_an_error_naming_the_field(assistant, date_from, date_to, field):
    with pytest.raises(gr.Error, match=f"{field} must be a year, YYYY-MM or YYYY-MM-DD"):
        chosen_decisions(assistant, "", date_from, date_to)


def test_csv_holds_the_rows_shown_word_for_word(index, tmp_path):
    decisions = index.decisions
    rows = decisions_table(decisions, index.reports)
    path = write_decisions_csv(rows, tmp_path / CSV_NAME)
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        read = list(reader)
    assert reader.fieldnames == CSV_FIELDS
    assert read == [{k: r[k] for k in CSV_FIELDS} for r in rows]
    for row, d in zip(read, decisions):
        assert row["text"] == index.reports[d.source].text[d.start:d.end]
        assert (row["meeting_date"], row["source"]) == (d.meeting_date, d.source)


def test_csv_file_is_named_for_what_it_is_and_reused_for_the_same_rows(index, tmp_path):
    rows = decisions_table(index.decisions, index.reports)
    path = decisions_csv_file(rows, tmp_path)
    assert path.name == "nec-decisions.csv" and path.read_text(encoding="utf-8-sig").startswith("meeting_date,")
    assert decisions_csv_file(rows, tmp_path) == path
    assert decisions_csv_file(rows[:2], tmp_path) != path


def test_table_cells_are_plain_text_never_markdown_or_html(assistant):
    with gr.Blocks() as demo:
        decisions_view(assistant)
    table = next(b for b in demo.blocks.values() if isinstance(b, gr.Dataframe))
    assert table.datatype == "str" and table.interactive is False


def test_api_lists_decisions_like_the_command_line(server, assistant):
    client = Client(server, verbose=False)
    result = client.predict("London mayoral primary", "", "", api_name="/decisions")
    expected = assistant.decisions("London mayoral primary")
    assert result == [d.to_dict() for d in expected]
    assert result and {d["meeting_date"] for d in result} == {"2014-11-04"}
    early = client.predict("", "", "2012", api_name="/decisions")
    assert early and all(d["meeting_date"] <= "2012-12-31" for d in early)


def test_api_refuses_a_bad_date(server):
    client = Client(server, verbose=False)
    with pytest.raises(Exception, match="from must be a year"):
        client.predict("", "2012-13", "", api_name="/decisions")
