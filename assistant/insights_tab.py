"""The web app's "Insights" tab, for staff: what members ask, what goes unanswered, what they marked
not helpful, and turning a not-helpful answer into an eval question.

Built hidden and shown on page load to staff logins only; every step checks the login again on the
server. The figures are `insights.summarise` over the usage log, read when the tab is opened or the
dates are changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pandas as pd

from .access import is_staff
from .errors import BadFilter
from .insights import asked_when, citations_text, eval_item, passage_at, percent, summarise, write_items
from .retrieve import Filters
from .service import Assistant
from .usage_log import UsageLog

CANDIDATES = 8  # passages offered to pick from
UNANSWERED_COLUMNS = ["Asked (UTC)", "Question", "Why not", "Answer given"]
NOT_HELPFUL_COLUMNS = ["Asked (UTC)", "Question", "Comment", "Answer given", "Cited"]


def insights_tab(assistant: Assistant, usage: UsageLog, staff: frozenset[str], eval_file: Path) -> gr.Tab:
    """The tab, hidden until `show_to_staff` shows it; its figures are read again each time it is opened."""
    with gr.Tab("Insights", elem_id="insights-tab", visible=False) as tab:
        _contents(tab, assistant, usage, staff, eval_file)
    return tab


def _contents(tab: gr.Tab, assistant: Assistant, usage: UsageLog, staff: frozenset[str], eval_file: Path) -> None:
    gr.Markdown("What members asked in the chat, by the date they asked (UTC). The log keeps no names and no "
                "addresses.")
    with gr.Row():
        date_from = gr.Textbox(label="From", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="insights-from")
        date_to = gr.Textbox(label="To", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="insights-to")
        show = gr.Button("Show", variant="primary", elem_id="insights-show")
    summary = gr.Markdown(elem_id="insights-summary")
    chart = gr.BarPlot(x="week", y="questions", title="Questions per week", x_title="Week from Monday",
                       y_title="Questions", y_lim=[0, None], elem_id="insights-weeks", show_label=False)
    top = gr.Markdown(elem_id="insights-topics")
    unanswered = gr.Dataframe(headers=UNANSWERED_COLUMNS, datatype="str", interactive=False, wrap=True,
                              column_widths=["12%", "30%", "13%", "45%"], label="Unanswered questions",
                              max_height=400, elem_id="insights-unanswered")
    not_helpful = gr.Dataframe(headers=NOT_HELPFUL_COLUMNS, datatype="str", interactive=False, wrap=True,
                               column_widths=["10%", "20%", "15%", "40%", "15%"], label="Answers marked not helpful",
                               max_height=400, elem_id="insights-not-helpful")

    gr.Markdown(f"### From a not-helpful answer to an eval question\nPick the answer, then the passage of the "
                f"reports that should have answered it; the question is added to `{eval_file}`, which "
                f"`nec-assistant eval --qa {eval_file}` scores.")
    which = gr.Dropdown(label="Answer marked not helpful", choices=[], elem_id="export-which")
    words = gr.Textbox(label="Find passages with other words (optional)", elem_id="export-words")
    passage = gr.Radio(label="The passage that should have answered", choices=[], elem_id="export-passage")
    export = gr.Button("Add to the eval questions", interactive=False, elem_id="export")
    status = gr.Markdown(elem_id="export-status")
    written = gr.Code(language="json", label="Line written", visible=False, elem_id="export-line")

    def check(request: gr.Request) -> None:
        if not is_staff(request, staff):
            raise gr.Error("Only staff can see the insights.")

    def refresh(start: str, end: str, request: gr.Request):
        check(request)
        try:
            dates = Filters.parse(None, start, end)
        except BadFilter as exc:
            raise gr.Error(str(exc)) from None
        found = summarise(usage.questions(dates.date_from, dates.date_to), dates.date_from, dates.date_to)
        text = (f"**{found.asked} question{'s' * (found.asked != 1)}** · answered {percent(found.share_answered)} "
                f"({found.answered} of {found.asked}) · marked helpful {percent(found.share_helpful)} "
                f"({found.helpful} of {found.rated} marked)")
        topics = "**Most-asked topics:** " + (", ".join(f"{t} ({n})" for t, n in found.topics) or "none yet")
        weeks = pd.DataFrame(found.per_week, columns=["week", "questions"])
        return (text, weeks, topics,
                [[asked_when(q), q.question, q.reason or "", q.answer] for q in reversed(found.unanswered)],
                [[asked_when(q), q.question, q.comment or "", q.answer, citations_text(q)]
                 for q in reversed(found.not_helpful)],
                gr.Dropdown(choices=[(f"{asked_when(q)} · {q.question}", q.id) for q in reversed(found.not_helpful)],
                            value=None))

    def candidates(qid: str | None, other_words: str, request: gr.Request):
        check(request)
        question = next((q for q in usage.questions() if q.id == qid), None)
        if question is None:
            return gr.Radio(choices=[], value=None), gr.Button(interactive=False)
        hits = assistant.search((other_words or "").strip() or question.question, k=CANDIDATES)
        choices = [(f"{h.chunk.label()}: {h.chunk.text}", f"{h.chunk.source}:{h.chunk.start}") for h in hits]
        return gr.Radio(choices=choices, value=None), gr.Button(interactive=True)

    def add(qid: str | None, pick: str | None, request: gr.Request):
        check(request)
        question = next((q for q in usage.questions() if q.id == qid), None)
        if question is None or not pick:
            raise gr.Error("Pick an answer and the passage that should have answered it.")
        try:
            item = eval_item(question, assistant.index, passage_at(assistant.index, pick))
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        total = write_items([item], eval_file)
        return (f"**Added** `{item['id']}` to `{eval_file}` ({total} question{'s' * (total != 1)} there).",
                gr.Code(json.dumps(item, ensure_ascii=False), visible=True))

    shown = [summary, chart, top, unanswered, not_helpful, which]
    for trigger in (tab.select, show.click, date_from.submit, date_to.submit):
        trigger(refresh, [date_from, date_to], shown, api_visibility="private")
    for trigger in (which.change, words.submit):
        trigger(candidates, [which, words], [passage, export], api_visibility="private")
    export.click(add, [which, passage], [status, written], api_visibility="private")
