"""Members mark an answer helpful or not, with the chat's own thumbs, and may say what was wrong.

The thumbs are the Chatbot's like/dislike buttons, which Gradio shows only when a `like` listener
is attached: with logging off (`--no-log`) none is, so none are shown. "Not helpful" is recorded at
once and opens a short, optional comment ("wrong meeting", "didn't answer", or the member's own
words); either way the member is told it was recorded. Which log row a message is lives in the
session (`asked`: message index → question id), never in the page.
"""

from __future__ import annotations

import gradio as gr

from .usage_log import COMMENT_CHARS, UsageLog

REASONS = ["wrong meeting", "didn't answer"]
THANKS = {True: "Thank you: recorded as helpful.",
          False: "Thank you: recorded as not helpful. You can say what was wrong below, if you like.",
          None: "Your mark was taken back."}


def feedback_view(chatbot: gr.Chatbot, asked: gr.State, usage: UsageLog) -> None:
    """The comment box and the confirmation, placed where this is called, wired to the chat's thumbs."""
    with gr.Group(visible=False, elem_id="feedback-comment") as box:
        reason = gr.Radio(REASONS, label="What was wrong? (optional)", elem_id="feedback-reason")
        words = gr.Textbox(label="Or say it in a few words (optional)", max_length=COMMENT_CHARS, max_lines=3,
                           elem_id="feedback-words")
        send = gr.Button("Send", size="sm", elem_id="feedback-send")
    status = gr.Markdown(elem_id="feedback-status", container=False)
    commenting = gr.State(None)  # the id of the answer marked not helpful, until its comment is sent

    def mark(asked: dict[int, str], liked: gr.LikeData):
        qid = asked.get(liked.index)
        if qid is None:  # "Searching the reports…", not an answer yet
            return gr.Group(visible=False), "", None, None, ""
        helpful = liked.liked if isinstance(liked.liked, bool) else None  # "" when a thumb is clicked off
        usage.feedback(qid, helpful)
        return gr.Group(visible=helpful is False), THANKS[helpful], qid if helpful is False else None, None, ""

    def comment(qid: str | None, chosen: str | None, typed: str):
        if qid is None:
            return gr.Group(visible=False), "", None, None, ""
        said = ": ".join(part for part in (chosen, (typed or "").strip()) if part)
        if said:
            usage.feedback(qid, False, said)
        return (gr.Group(visible=False), "Thank you: your comment was recorded." if said else THANKS[False],
                None, None, "")

    outputs = [box, status, commenting, reason, words]
    chatbot.like(mark, asked, outputs, api_visibility="private")
    send.click(comment, [commenting, reason, words], outputs, api_visibility="private")
