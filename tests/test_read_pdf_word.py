"""The PDF and Word readers on files made here: a two-column PDF report, a scanned PDF, a Word
report with headings, lists and a table, and the broken or hostile files they must refuse."""

from __future__ import annotations

import zipfile
from pathlib import Path

import make_formats
import pytest
from make_formats import TITLE
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from assistant.dates import MeetingDate
from assistant.errors import IngestError
from assistant.readers import pdf, word


@pytest.fixture(scope="module")
def two_column_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "nec-2017-01.pdf"
    make_formats.two_column_pdf(path)
    return path


@pytest.fixture(scope="module")
def word_report(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "nec-2017-01.docx"
    make_formats.word_report(path)
    return path


def _read_pdf(path: Path):
    [document] = pdf.read(path, path.read_bytes())
    return document


def _refusal(reader, path: Path, data: bytes | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        reader.read(path, path.read_bytes() if data is None else data)
    assert str(caught.value).startswith(str(path))
    return caught.value.problem


def test_a_two_column_pdf_reads_column_by_column(two_column_pdf):
    text = _read_pdf(two_column_pdf).text
    left_last = text.index("the re-elected councillors will help train them.")
    right_first = text.index("We approved 12 new parliamentary candidates for Wales.")
    assert text.index(TITLE) < text.index("Jeremy Corbyn") < left_last < right_first
    assert text.index("Organisation committee") < right_first < text.index("registered supporters")


def test_a_pdf_keeps_paragraphs_headings_and_bullets(two_column_pdf):
    paragraphs = _read_pdf(two_column_pdf).text.strip().split("\n\n")
    assert paragraphs[:3] == [f"## {TITLE}", "## Leader's report",
                              "Jeremy Corbyn thanked members for their work in the Copeland and Stoke "
                              "by-election campaigns, where over 5,000 volunteers have already knocked on doors."]
    for heading in ("General Secretary's report", "Organisation committee", "Other business"):
        assert f"## {heading}" in paragraphs
    assert "• Selections in Scotland will open in March." in paragraphs
    assert "• The longlisting panels will publish their timetable before the away day." in paragraphs


def test_a_pdf_mends_words_hyphenated_at_a_line_end_but_keeps_real_hyphens(two_column_pdf):
    text = _read_pdf(two_column_pdf).text
    assert "the regional organisers would be asked" in text
    assert "two councillors had been re-elected in Stoke." in text


def test_a_pdf_drops_page_numbers_and_says_so(two_column_pdf):
    document = _read_pdf(two_column_pdf)
    assert not any(line.strip() == "1" for line in document.text.splitlines())
    assert document.dropped == ("1 page-number line",)


def test_a_pdf_gives_its_title_author_and_creation_date(two_column_pdf):
    document = _read_pdf(two_column_pdf)
    assert (document.format, document.title, document.author) == ("pdf", TITLE, "Ann Black")
    assert document.posted == MeetingDate(2017, 1, 26)


def test_a_scanned_pdf_is_refused_as_needing_ocr(tmp_path):
    page = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(page).rectangle((50, 50, 550, 120), fill=0)
    path = tmp_path / "scan.pdf"
    page.save(path, "PDF")
    problem = _refusal(pdf, path)
    assert "scanned PDF with no text layer" in problem and "OCR" in problem


def test_a_truncated_pdf_is_refused_as_damaged(two_column_pdf, tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(two_column_pdf.read_bytes()[:1500])
    assert "damaged or truncated PDF" in _refusal(pdf, path)


def test_a_pdf_of_garbage_is_refused_without_a_traceback(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert "PDF" in _refusal(pdf, path)


def test_a_password_protected_pdf_is_refused_but_a_merely_restricted_one_reads(two_column_pdf, tmp_path):
    locked, restricted = PdfWriter(clone_from=two_column_pdf), PdfWriter(clone_from=two_column_pdf)
    locked.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    restricted.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    locked.write(tmp_path / "locked.pdf")
    restricted.write(tmp_path / "restricted.pdf")
    assert "password-protected PDF" in _refusal(pdf, tmp_path / "locked.pdf")
    assert "We approved 12 new parliamentary candidates" in _read_pdf(tmp_path / "restricted.pdf").text


def test_a_word_report_gives_headings_bullets_paragraphs_and_table_rows(word_report):
    [document] = word.read(word_report, word_report.read_bytes())
    assert document.text.strip().split("\n\n") == [
        f"## {TITLE}",
        "## Leader's report",
        "Jeremy Corbyn thanked members for their work in the Copeland and Stoke campaigns.",
        "## Organisation committee",
        "We agreed:",
        "• 12 new parliamentary candidates for Wales",
        "• a timetable for Scottish selections",
        "Ballot | Votes",
        "Youth rep | 4,210",
        "Disability rep | 3,977",
        "## Other business",
        "The next meeting will be on 28 March.",
    ]


def test_a_word_report_gives_its_title_author_and_creation_date(word_report):
    [document] = word.read(word_report, word_report.read_bytes())
    assert (document.format, document.title, document.author) == ("docx", TITLE, "Ann Black")
    assert document.posted == MeetingDate(2017, 1, 26)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_a_zip_bomb_disguised_as_a_word_document_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.docx"
    with (zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
          archive.open("word/document.xml", "w", force_zip64=True) as member):
        zeros = bytes(1 << 20)
        for _ in range(200):  # 200 MB of zeros, written a megabyte at a time
            member.write(zeros)
    assert path.stat().st_size < 1_000_000
    problem = _refusal(word, path)
    assert "unpack to 210 MB, over the 50 MB limit" in problem and "zip bomb" in problem


def test_a_word_document_part_compressed_too_far_is_refused(tmp_path):
    path = _zip(tmp_path / "dense.docx", {"word/document.xml": bytes(5_000_000)})
    assert "word/document.xml is compressed" in _refusal(word, path)


def test_an_archive_of_too_many_parts_is_refused(tmp_path):
    path = _zip(tmp_path / "many.docx", {f"word/media/{i}.xml": b"" for i in range(word.MAX_MEMBERS + 1)})
    assert f"over the limit of {word.MAX_MEMBERS}" in _refusal(word, path)


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path):
    path = _zip(tmp_path / "photos.docx", {"photo.jpg": b"\xff\xd8\xff"})
    assert "not a Word document (no word/document.xml)" in _refusal(word, path)


def test_a_file_that_is_not_a_zip_is_refused_as_not_a_word_document(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("just some notes")
    assert "not a Word document" in _refusal(word, path)


def test_a_damaged_word_document_is_refused_without_a_traceback(tmp_path):
    path = _zip(tmp_path / "broken.docx", {"[Content_Types].xml": b"<oops", "word/document.xml": b"<w:document"})
    assert "damaged Word document" in _refusal(word, path)


def test_a_scanned_page_among_text_pages_is_named_as_left_out(two_column_pdf, tmp_path):
    Image.new("L", (600, 800), 255).save(tmp_path / "scan.pdf", "PDF")
    writer = PdfWriter(clone_from=two_column_pdf)
    writer.append(tmp_path / "scan.pdf")
    writer.write(tmp_path / "mixed.pdf")
    document = _read_pdf(tmp_path / "mixed.pdf")
    assert "page 2: images only, no text (needs OCR)" in document.dropped
    assert "We approved 12 new parliamentary candidates for Wales." in document.text
