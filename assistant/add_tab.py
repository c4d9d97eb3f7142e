"""The web app's "Add a report" tab: staff upload a file, check what was read, correct it, confirm.

The tab is built hidden and shown on page load to staff logins only; every step checks the
login again on the server, since a hidden tab is no lock. Reading a file stages it exactly as
the index will read it; confirming adds it and swaps the new index in (`Assistant.add`), while
the chat goes on answering from the old one.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import gradio as gr

from .access import is_staff
from .dates import MeetingDate
from .errors import IngestError
from .intake import Facts, preview
from .service import Assistant

_FIELDS = ("meeting_date", "title", "author", "url")


def _require_staff(request: gr.Request, staff: frozenset[str]) -> str:
    if not is_staff(request, staff):
        raise gr.Error("Only staff can add reports.")
    return request.username


def _problem(exc: IngestError) -> str:
    """The refusal without the staging folder's path: the file's name, line and what is wrong."""
    return f"{exc.path.name}{f', line {exc.line}' if exc.line else ''}: {exc.problem}"


def add_report_view(assistant: Assistant, staff: frozenset[str], refreshed: list[gr.components.Component],
                    refresh) -> None:
    """The tab's contents; `refresh()` gives the new values of the `refreshed` components (the meeting
    list and filter) once a report has been added."""
    gr.Markdown("Upload a report as a web page (.html), an email (.eml), a PDF, a Word document (.docx) or "
                "text. It is read as it will be indexed; check the date and the sections, correct what is "
                "wrong, then add it. The chat answers from it as soon as it is added.")
    upload = gr.File(label="Report file", type="filepath", elem_id="add-file")
    shown = gr.Textbox(label="What was read", lines=12, max_lines=30, interactive=False, elem_id="add-preview")
    with gr.Row():
        date = gr.Textbox(label="Meeting date", placeholder="YYYY-MM-DD", elem_id="add-date")
        title = gr.Textbox(label="Title", elem_id="add-title")
        author = gr.Textbox(label="Author", elem_id="add-author")
        url = gr.Textbox(label="Published at (URL)", elem_id="add-url")
    confirm = gr.Button("Add to the reports", variant="primary", interactive=False, elem_id="add-confirm")
    status = gr.Markdown(elem_id="add-status")
    read_values = gr.State({})  # what the file said, so that only corrections are recorded as facts

    def read_file(path: str | None, request: gr.Request):
        _require_staff(request, staff)
        empty = ("", "", "", "", "", {}, gr.Button(interactive=False))
        if not path:
            return *empty, ""
        with tempfile.TemporaryDirectory(prefix="nec-preview-") as folder:
            try:
                staged = assistant.stage([(Path(path).name, Path(path).read_bytes())], Facts(), Path(folder))
            except IngestError as exc:
                return *empty, f"**Cannot add this file.** {_problem(exc)}"
        first = staged[0].reports[0]
        values = {"meeting_date": first.meeting_date.iso(), "title": first.title, "author": first.author or "",
                  "url": first.url or ""}
        several = len(staged[0].reports) > 1
        note = f"This file holds {len(staged[0].reports)} reports; corrections apply to the first." if several else ""
        return (preview(staged), *values.values(), values, gr.Button(interactive=True), note)

    def add(path: str | None, date: str, title: str, author: str, url: str, read: dict, request: gr.Request):
        user = _require_staff(request, staff)
        if not path:
            raise gr.Error("Choose a report file first.")
        typed = dict(zip(_FIELDS, (f.strip() for f in (date, title, author, url))))
        if typed["meeting_date"] != read.get("meeting_date"):
            try:
                MeetingDate.parse_iso(typed["meeting_date"])
            except ValueError as exc:
                raise gr.Error(f"Meeting date: {exc}") from None
        facts = Facts(**{k: v for k, v in typed.items() if v != read.get(k)})
        started = time.perf_counter()
        try:
            staged = assistant.add([(Path(path).name, Path(path).read_bytes())], facts, who=user, how="web app")
        except IngestError as exc:
            return f"**Not added.** {_problem(exc)}", gr.Button(interactive=True), *refresh()
        added = ", ".join(f"{r.title} ({r.meeting_date.human()})" for item in staged for r in item.reports)
        return (f"**Added** {added} in {time.perf_counter() - started:.1f} s. The chat now answers from it.",
                gr.Button(interactive=False), *refresh())

    fields = [date, title, author, url]
    upload.change(read_file, upload, [shown, *fields, read_values, confirm, status], api_visibility="private")
    confirm.click(add, [upload, *fields, read_values], [status, confirm, *refreshed], api_visibility="private")
