"""The web chat: a Gradio app that answers with quotes, citations and their context, and the decision log.

Everything shown in the chat that comes from a report or a question is HTML-escaped here, and the
chat component sanitises what it renders as well, so no text can put markup or script on the page.
The decision table's cells are plain "str" cells, which the table shows as text, never as HTML.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from .access import ApiAccess, HideApiFromStrangers, StaffOnlyUploads, is_staff, logins, parse_tokens, staff_names
from .add_tab import add_report_view
from .answer import Abstention, Answer, Citation
from .api import PREFIX as API_PREFIX
from .asking import ask_logged
from .chat_feedback import feedback_view
from .decisions import Decision
from .errors import BadFilter
from .ingest import MAX_REPORT_BYTES, Report
from .insights import EVAL_FILE
from .insights_tab import insights_tab
from .question import Question
from .retrieve import Filters
from .service import Assistant
from .usage_log import UsageLog

TITLE = "NEC Assistant"
DISCLAIMER = ("These reports are personal accounts of NEC meetings written by NEC members for party members. "
              "They are not the official minutes.")
EXAMPLES = [
    "What did the NEC decide about primaries?",
    "When was the conference timetable agreed?",
    "How many council seats did we gain in the 2012 local elections?",
    "What was said about Scotland at the 2014 away day?",
]
ALL_MEETINGS = "All meetings"
NOTHING_FOUND = ("I couldn't find anything about that in the NEC reports{scope}. "
                 "Try other words, or widen the meeting filter.")
CSS = """
/* Colours: every text colour here has a contrast of at least 4.5:1 (WCAG AA) against the background it
   is drawn on, computed, not guessed. Chat messages are drawn at Gradio's opacity 0.8 over the bubble
   (#fafafa light, #18181b dark), so the figures are for the colour as blended: .cite #444 5.3:1,
   summary #a50d26 5.4:1; dark .cite #c4c4c8 7.0:1, summary #ff8a99 5.5:1. Gradio's orange accent
   (white on #f97316 is 2.8:1) becomes Labour red: white on #c8102e 5.9:1, #c8102e on white 5.9:1,
   #ff7b8c on the dark page 7.7:1. */
.gradio-container {
    --color-accent: #c8102e;
    --button-primary-background-fill: #c8102e; --button-primary-background-fill-hover: #a50d26;
    --button-primary-border-color: #c8102e; --button-primary-border-color-hover: #a50d26;
    --button-primary-text-color: #fff; --button-primary-text-color-hover: #fff;
}
.dark .gradio-container { --color-accent: #ff7b8c; }
.citation { margin: 0.6em 0 0.9em; }
.citation blockquote { margin: 0 0 0.25em; padding-left: 0.8em; border-left: 3px solid #c8102e; }
.citation .cite { font-size: 0.9em; color: #444; }
.citation .cite a { color: inherit; text-decoration: underline; }
.citation details { margin-top: 0.2em; }
.citation summary { cursor: pointer; font-size: 0.85em; color: #a50d26; }
/* No inner scroll box: a scrolling region needs keyboard focus, and the chat scrolls already. */
.citation .context { font-size: 0.9em; background: #f7f7f7; padding: 0.5em 0.8em; overflow-wrap: anywhere; }
.citation mark { background: #ffe08a; color: #1a1a1a; }
.dark .citation .cite { color: #c4c4c8; }
.dark .citation summary { color: #ff8a99; }
.dark .citation .context { background: #27272a; }
footer .show-api { color: var(--body-text-color); }  /* Gradio's grey is 1.9:1 */
#disclaimer { font-size: 0.9em; color: #444; }
#decision-count { align-self: center; }
#decision-filter { align-self: end; }
#decisions [role="gridcell"], #decisions [role="columnheader"] { font-family: var(--font); }  /* not monospace */
#insights-unanswered [role="gridcell"], #insights-unanswered [role="columnheader"],
#insights-not-helpful [role="gridcell"], #insights-not-helpful [role="columnheader"] { font-family: var(--font); }
"""
# Table column → header; the ISO date sorts, the human label reads.
DECISION_COLUMNS = {"meeting": "Meeting", "meeting_date": "Date", "topic": "Topic", "section": "Section",
                    "text": "Decision", "source": "Source file"}
DECISION_WIDTHS = ["11%", "8%", "11%", "11%", "44%", "15%"]
CSV_FIELDS = ["meeting_date", "section", "topic", "text", "source"]
CSV_NAME = "nec-decisions.csv"
DATE_HINT = "YYYY, YYYY-MM or YYYY-MM-DD"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")  # '<', '>' and '&' are left to html.escape


def as_text(text: str) -> str:
    """Show `text` exactly as typed: no markdown, no HTML."""
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text))


def _context_html(report: Report, citation: Citation) -> str:
    """The section the quote stands in, paragraph by paragraph, the quoted words marked."""
    section = next(s for s in report.sections if s.start <= citation.start < s.end)
    text = report.text
    marked = (html.escape(text[section.start:citation.start]) + "<mark>" + html.escape(citation.quote) + "</mark>"
              + html.escape(text[citation.end:section.end]))
    return "<p>" + marked.replace("\n\n", "</p><p>") + "</p>"


def _cite_html(citation: Citation) -> str:
    """The citation label, linked to the published report (in a new tab) when its address is a web one."""
    label = html.escape(citation.label())
    if not (citation.url or "").startswith(("https://", "http://")):  # never a javascript: or data: link
        return label
    return f'<a href="{html.escape(citation.url)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def format_answer(result: Answer, reports: dict[str, Report], scope: str = "") -> str:
    """The chat message for an answer: quotes oldest meeting first, each openable in its context."""
    if result.abstention is Abstention.NO_MATCH:  # a hint at what to try instead
        return html.escape(NOTHING_FOUND.format(scope=scope))
    if result.abstained:  # the reason: "The NEC reports don't mention …"
        return html.escape(result.lead)
    meetings = sorted({(c.meeting_date, c.meeting_label) for c in result.citations})
    where = (f"the report of the meeting of {meetings[0][1]}" if len(meetings) == 1
             else f"{len(meetings)} meetings, oldest first")
    lead = result.lead or f"From {where}:"
    blocks = [f'<p class="lead">{html.escape(lead)}</p>']
    heading = None
    for c in result.citations:
        report = reports[c.source]
        if result.overview and c.meeting_label != heading:  # the overview reads as a timeline, a heading a meeting
            heading = c.meeting_label
            blocks.append(f'<h3 class="meeting">{html.escape(heading)}</h3>')
        blocks.append(
            '<div class="citation">'
            f"<blockquote>“{html.escape(c.quote)}”</blockquote>"
            f'<div class="cite">{_cite_html(c)}</div>'
            f"<details><summary>Show in context ({html.escape(report.title)})</summary>"
            f'<div class="context">{_context_html(report, c)}</div></details>'
            "</div>"
        )
    if result.note:
        blocks.append(f'<p class="note">{html.escape(result.note)}</p>')
    # One line with no blank lines: a blank line would end the HTML block for the markdown renderer.
    return "".join(blocks)


def meetings_list(reports: dict[str, Report]) -> str:
    """One line per meeting, oldest first: date, report title, author."""
    lines = []
    for r in sorted(reports.values(), key=lambda r: r.meeting_date.sort_key()):
        by = f" · {as_text(r.author)}" if r.author else ""
        lines.append(f"- **{r.meeting_date.human()}** · {as_text(r.title)}{by}")
    return "\n".join(lines)


def _meeting_choices(reports: dict[str, Report]) -> list[tuple[str, str]]:
    ordered = sorted(reports.values(), key=lambda r: r.meeting_date.sort_key())
    return [(ALL_MEETINGS, "")] + [(r.meeting_date.human(), r.meeting_date.iso()) for r in ordered]


def parse_filters(meeting: str | None, date_from: str | None, date_to: str | None) -> Filters:
    try:
        return Filters.parse(meeting, date_from, date_to)
    except BadFilter as exc:
        raise gr.Error(str(exc)) from None


def chosen_decisions(assistant: Assistant, topic: str | None, date_from: str | None, date_to: str | None
                     ) -> list[Decision]:
    """The decision log filtered as typed in the Decisions tab or sent to its API; a bad date is a gr.Error."""
    return assistant.decisions(topic, parse_filters(None, date_from, date_to))


def decisions_table(decisions: list[Decision], reports: dict[str, Report]) -> list[dict]:
    """One row per decision, oldest meeting first, with the meeting named the way people write dates."""
    ordered = sorted(decisions, key=Decision.sort_key)
    return [{"meeting": reports[d.source].meeting_date.human(), "meeting_date": d.meeting_date, "topic": d.topic,
             "section": d.section, "text": d.text, "source": d.source} for d in ordered]


def write_decisions_csv(rows: list[dict], path: Path) -> Path:
    """The rows as CSV. UTF-8 with a byte-order mark, or Excel shows the reports' curly quotes as mojibake."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def decisions_csv_file(rows: list[dict], folder: Path) -> Path:
    """nec-decisions.csv for these rows, in a subfolder named by their content.

    The same rows give the same file, so filtering again piles nothing up, and a file is complete
    before it appears under its name, so no download catches one half written."""
    key = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    path = folder / key / CSV_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
        os.close(fd)
        os.replace(write_decisions_csv(rows, Path(partial)), path)
    return path


def _decisions_frame(rows: list[dict]) -> dict:
    return {"headers": list(DECISION_COLUMNS.values()), "data": [[row[k] for k in DECISION_COLUMNS] for row in rows]}


def _count_label(n: int) -> str:
    return f"**{n} decision{'' if n == 1 else 's'}**"


def decisions_view(assistant: Assistant) -> None:
    """The decision log as a table, filtered by topic (by meaning) and dates, downloadable as CSV, and its API."""
    csv_folder = Path(tempfile.mkdtemp(prefix="nec-decisions-"))

    def show(topic: str, date_from: str, date_to: str) -> tuple[dict, str, str]:
        """The table, its row count and a CSV of exactly those rows."""
        rows = decisions_table(chosen_decisions(assistant, topic, date_from, date_to), assistant.reports)
        return _decisions_frame(rows), _count_label(len(rows)), str(decisions_csv_file(rows, csv_folder))

    def decisions_api(topic: str = "", date_from: str = "", date_to: str = "") -> list[dict]:
        """Decisions near a topic in meaning, within a date range: the same list as `nec-assistant decisions --json`."""
        return [d.to_dict() for d in chosen_decisions(assistant, topic, date_from, date_to)]

    frame, count_text, csv_path = show("", "", "")
    gr.Markdown("What the committee agreed, approved, decided or noted, oldest meeting first, each sentence "
                "quoted word for word from its report. The topic is matched by meaning, not by exact words.")
    with gr.Row():
        topic = gr.Textbox(label="Topic", placeholder="e.g. London mayoral primary", scale=2, elem_id="decision-topic")
        date_from = gr.Textbox(label="From", placeholder=DATE_HINT, scale=1, elem_id="decision-from")
        date_to = gr.Textbox(label="To", placeholder=DATE_HINT, scale=1, elem_id="decision-to")
        apply = gr.Button("Filter", variant="primary", scale=0, min_width=120, elem_id="decision-filter")
    with gr.Row(equal_height=True):
        count = gr.Markdown(count_text, elem_id="decision-count")
        download = gr.DownloadButton("Download CSV", value=csv_path, size="sm", scale=0, elem_id="decision-csv")
    table = gr.Dataframe(frame, headers=list(DECISION_COLUMNS.values()), datatype="str", interactive=False,
                         wrap=True, column_widths=DECISION_WIDTHS, max_height=700, show_label=False,
                         elem_id="decisions")

    inputs, outputs = [topic, date_from, date_to], [table, count, download]
    for trigger in (apply.click, topic.submit, date_from.submit, date_to.submit):
        trigger(show, inputs, outputs, api_visibility="private")
    gr.api(decisions_api, api_name="decisions")


def build_app(assistant: Assistant, staff: str | None = None, usage: UsageLog | None = None,
              eval_file: Path = EVAL_FILE, read_only: bool = False) -> gr.Blocks:
    """The web app; `staff` ('USER:PASSWORD,…') are the logins that may add reports and see insights.

    A `read_only` replica serves an index it shares with others, so it has no "Add a report" tab.

    With a `usage` log, every question asked (in the chat or through the API) is logged, answers get
    thumbs for feedback, and staff get the Insights tab, which adds eval questions to `eval_file`.
    Without one, nothing is logged and no thumbs are shown."""
    staff_users = staff_names(staff)
    assistant.ask(EXAMPLES[0])  # warm up: the first pass through the model is slower than the rest

    def ask(question: str | Question, filters: Filters) -> tuple[Answer, str | None]:
        return ask_logged(assistant, usage, question, filters)

    def respond(typed: str, history: list, previous: Question | None, asked: dict[int, str], meeting: str,
                date_from: str, date_to: str) -> Iterator[tuple[list, str, Question | None, dict[int, str]]]:
        """Chat turn: the question joins the history at once, the answer follows when found.

        `previous` is the conversation's last question as read, kept in the session, so that a
        follow-up ("who proposed it?") is read with the topic before it; `asked` maps each answer's
        place in the history to its id in the usage log, for the member's feedback."""
        typed = (typed or "").strip()
        if not typed:
            yield history, "", previous, asked
            return
        filters = parse_filters(meeting, date_from, date_to)
        question = Question.read(typed, previous)
        history = history + [{"role": "user", "content": as_text(typed)},
                             {"role": "assistant", "content": "Searching the reports…"}]
        yield history, "", previous, asked
        result, logged = ask(question, filters)
        scope = " for the meetings you picked" if filters else ""
        history[-1] = {"role": "assistant", "content": format_answer(result, assistant.reports, scope)}
        yield history, "", question, {**asked, len(history) - 1: logged} if logged else asked

    def answer_api(question: str, meeting: str = "", date_from: str = "", date_to: str = "") -> dict:
        """Answer one question: the same JSON object as `nec-assistant ask --json`."""
        return ask(question, parse_filters(meeting, date_from, date_to))[0].to_dict()

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\nAsk about the meetings of Labour's National Executive Committee. "
                    "Answers quote the reports word for word, with the meeting date and section.")
        gr.Markdown(f"**Please note:** {DISCLAIMER}", elem_id="disclaimer")
        with gr.Tab("Ask", elem_id="ask-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Conversation", height=560, latex_delimiters=[], sanitize_html=True,
                                         elem_id="chat", placeholder="Ask a question about the NEC meetings below.",
                                         buttons=["copy_all"])  # no "share": it posts to Hugging Face, unlabelled
                    asked = gr.State({})  # each answer's place in the chat → its id in the usage log
                    if usage:
                        feedback_view(chatbot, asked, usage)
                    with gr.Row():
                        box = gr.Textbox(placeholder="e.g. When was the conference timetable agreed?",
                                         show_label=False, scale=5, elem_id="question", autofocus=True,
                                         submit_btn=False)
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    gr.Examples(EXAMPLES, inputs=box, label="Example questions")
                    clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=1):
                    with gr.Accordion("Filter by meeting", open=True):
                        meeting = gr.Dropdown(_meeting_choices(assistant.reports), value="", label="Meeting",
                                              elem_id="meeting")
                        date_from = gr.Textbox("", label="From", placeholder=DATE_HINT)
                        date_to = gr.Textbox("", label="To", placeholder=DATE_HINT)
                    with gr.Accordion("Meetings in the reports", open=True):
                        meetings = gr.Markdown(meetings_list(assistant.reports), elem_id="meetings")

        with gr.Tab("Decisions", elem_id="decisions-tab"):
            decisions_view(assistant)

        staff_tabs = []
        if not read_only:
            with gr.Tab("Add a report", elem_id="add-tab", visible=False) as add_tab:
                add_report_view(assistant, staff_users, [meeting, meetings],
                                lambda: (gr.Dropdown(choices=_meeting_choices(assistant.reports)),
                                         meetings_list(assistant.reports)))
            staff_tabs.append(add_tab)
        if usage:
            staff_tabs.append(insights_tab(assistant, usage, staff_users, eval_file))

        def show_to_staff(request: gr.Request) -> dict[gr.Tab, gr.Tab]:
            return {tab: gr.Tab(visible=is_staff(request, staff_users)) for tab in staff_tabs}

        if staff_tabs:
            demo.load(show_to_staff, None, staff_tabs, api_visibility="private")

        previous = gr.State(None)  # the conversation's last question, as read
        inputs = [box, chatbot, previous, asked, meeting, date_from, date_to]
        outputs = [chatbot, box, previous, asked]
        box.submit(respond, inputs, outputs, api_name="chat")
        send.click(respond, inputs, outputs, api_visibility="private")
        clear.click(lambda: ([], "", None, {}), None, outputs, api_visibility="private")
        chatbot.clear(lambda: (None, {}), None, [previous, asked], api_visibility="private")
        gr.api(answer_api, api_name="answer")
    return demo


def launch(demo: gr.Blocks, host: str | None, port: int | None, auth: str | None, staff: str | None = None,
           block: bool = True, concurrency: int = 8, routes: list[BaseRoute] | None = None,
           api_tokens: str | None = None):
    """Serve the app; `concurrency` questions are answered at once (Gradio's default is one).

    `auth` are the members' logins, `staff` the staff's (the same string given to `build_app`);
    `routes` (the JSON API, `api.routes`) are served by the same server, guarded by the same logins
    and by `api_tokens` ('TOKEN[,TOKEN…]', else $NEC_ASSISTANT_API_TOKENS)."""
    demo.queue(default_concurrency_limit=concurrency)
    tokens = parse_tokens(api_tokens or os.environ.get("NEC_ASSISTANT_API_TOKENS"))
    return demo.launch(
        server_name=host, server_port=port, auth=logins(auth or os.environ.get("NEC_ASSISTANT_AUTH"), staff),
        auth_message="NEC Assistant: sign in", prevent_thread_lock=not block, show_error=True, css=CSS,
        footer_links=["api"], quiet=not block, max_file_size=MAX_REPORT_BYTES,
        app_kwargs={"routes": routes or [], "openapi_url": None,  # the API's own spec is at /api/v1/openapi.json
                    "middleware": [Middleware(HideApiFromStrangers),
                                   Middleware(StaffOnlyUploads, staff=staff_names(staff)),
                                   Middleware(ApiAccess, prefix=API_PREFIX, tokens=tokens)]},
    )
