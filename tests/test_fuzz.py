"""Property-based tests: any text in, no crash; chunks and quotes always point at the text they hold."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.chunking import Chunker, chunk_sentences
from assistant.errors import IngestError
from assistant.ingest import parse_report

# Lines a report is made of: prose, headings, bullets, furniture, dates, odd characters.
LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from([
        "", "Leaders Report", "GS Report;", "Other issues;", "• We agreed the timetable.", "- It was noted.",
        "1. We approved 27 bids.", "Comments", "More from LabourList", "Share this Article", "Donate now",
        "NEC Report – November 27th, 2012", "Posted 29th November, 2012 10:12 am", "# Heading", "**Bold heading**",
        "This was agreed.", "The Treasurer reported a surplus for the year and the accounts were approved.",
    ]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
)
REPORTS = st.builds(lambda dated, lines: ("NEC Report – 3rd March 2015\n\n" if dated else "") + "\n".join(lines),
                    st.booleans(), st.lists(LINES, max_size=40))
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parsed(raw: str):
    try:
        return parse_report(Path("fuzz.txt"), raw)
    except IngestError as exc:
        assert "fuzz.txt" in str(exc)  # every refusal names the file
        return None


@FUZZ
@given(REPORTS)
def test_any_text_parses_or_is_refused_with_the_file_named(raw):
    report = parsed(raw)
    if report is None:
        return
    for section in report.sections:
        for para in section.paragraphs:
            assert 0 <= para.start < para.end <= len(report.text)
            assert report.text[para.start:para.end].strip()


@FUZZ
@given(REPORTS, st.sampled_from([8, 24, 128]))
def test_chunks_cover_each_section_in_order_without_overlap_and_quotes_point_at_their_text(raw, budget):
    report = parsed(raw)
    if report is None:
        return
    chunks = Chunker(max_tokens=budget).chunk(report)
    for section in report.sections:
        inside = [c for c in chunks if section.start <= c.start < section.end]
        for before, after in zip(inside, inside[1:]):
            assert before.end <= after.start  # in order, no overlap
        covered = set().union(*(range(c.start, c.end) for c in inside))
        for para in section.paragraphs:  # every visible character of the section is in a chunk
            assert all(i in covered for i in range(para.start, para.end) if not report.text[i].isspace())
    for chunk in chunks:
        assert report.text[chunk.start:chunk.end] == chunk.text
        for start, end in chunk_sentences(chunk):
            assert chunk.start <= start < end <= chunk.end
            assert report.text[start:end].strip()
