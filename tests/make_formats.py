"""Report files in the binary formats, made by the tests: a two-column PDF and a Word document.

Shared by the reader tests and the tests that add such files to the index and ask about them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph

TITLE = "NEC Report – 24 January 2017"
LEFT_COLUMN = [
    ("h", "Leader's report"),
    ("p", "Jeremy Corbyn thanked members for their work in the Copeland and Stoke by-election campaigns, "
          "where over 5,000 volunteers have already knocked on doors."),
    ("p", "He said the regional organ-<br/>isers would be asked to recruit new members, and that two "
          "councillors had been re-<br/>elected in Stoke."),
    ("h", "General Secretary's report"),
    ("p", "Iain McNicol reported that membership stood at 543,645 at the end of December, making Labour "
          "the largest party in western Europe."),
    ("p", "Every marginal seat will have a full-time organiser by the summer, and the re-elected "
          "councillors will help train them."),
]
RIGHT_COLUMN = [
    ("h", "Organisation committee"),
    ("p", "We approved 12 new parliamentary candidates for Wales."),
    ("b", "Selections in Scotland will open in March."),
    ("b", "The longlisting panels will publish their timetable before the away day."),
    ("h", "Other business"),
    ("p", "The NEC agreed to review the rule on registered supporters before conference."),
]


def two_column_pdf(path: Path) -> None:
    """A one-page report: the title across the page, then two columns, then a page number."""
    styles = getSampleStyleSheet()
    style = {"h": styles["Heading2"], "p": styles["BodyText"], "b": styles["BodyText"]}
    width, height = A4
    margin, gap, top = 2 * cm, 1 * cm, 2.5 * cm
    column = (width - 2 * margin - gap) / 2
    frames = [
        Frame(margin, height - margin - top, width - 2 * margin, top),
        Frame(margin, margin, column, height - 2 * margin - top),
        Frame(margin + column + gap, margin, column, height - 2 * margin - top),
    ]

    def page_number(canvas, doc) -> None:
        canvas.drawCentredString(width / 2, margin / 2, str(doc.page))

    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=TITLE, author="Ann Black")
    doc.addPageTemplates([PageTemplate(frames=frames, onPage=page_number)])

    def flow(items: list[tuple[str, str]]) -> list[Paragraph]:
        return [Paragraph(text, style[kind], bulletText="•" if kind == "b" else None) for kind, text in items]

    doc.build([Paragraph(TITLE, styles["Title"]), FrameBreak(), *flow(LEFT_COLUMN), FrameBreak(), *flow(RIGHT_COLUMN)])
    # reportlab stamps the time of writing; a report has its own
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    writer.add_metadata({"/CreationDate": "D:20170126093000+00'00'"})
    writer.write(path)


def word_report(path: Path) -> None:
    """A report with heading styles, a bulleted and a numbered list, a results table and its properties."""
    document = docx.Document()
    document.add_heading(TITLE, 0)
    document.add_heading("Leader's report", 1)
    document.add_paragraph("Jeremy Corbyn thanked members for their work in the Copeland and Stoke campaigns.")
    document.add_heading("Organisation committee", 2)
    document.add_paragraph("We agreed:")
    document.add_paragraph("12 new parliamentary candidates for Wales", style="List Bullet")
    document.add_paragraph("a timetable for Scottish selections", style="List Number")
    results = [("Ballot", "Votes"), ("Youth rep", "4,210"), ("Disability rep", "3,977")]
    table = document.add_table(rows=len(results), cols=2)
    for row, cells in zip(table.rows, results, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Other business", 3)
    document.add_paragraph("The next meeting\nwill be on 28 March.")
    props = document.core_properties
    props.title, props.author = TITLE, "Ann Black"
    props.created = dt.datetime(2017, 1, 26, 9, 30)
    document.save(path)
