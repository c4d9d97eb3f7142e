"""Staff's glossary of shorthand: what it spells out, what it leaves alone, and a bad entry."""

from __future__ import annotations

import shutil

import pytest

from assistant.answer import answer
from assistant.build import build, open_index
from assistant.errors import IngestError
from assistant.glossary import GLOSSARY_FILE, load_glossary, spell_out
from assistant.question import Question


def test_shorthand_no_report_uses_is_asked_as_the_reports_write_it(assistant):
    """"indyref" is word pieces to the model: without the glossary nothing was quoted."""
    for asked in ("any updates on the indyref", "anything on the Indy Ref?"):
        reply = answer(Question.read(asked), assistant.retriever)
        assert reply.citations, asked
        assert all("referendum" in c.quote or "independence" in c.quote for c in reply.citations), \
            [c.quote[:60] for c in reply.citations]
        assert {c.meeting_date for c in reply.citations} >= {"2014-11-04"}


def test_a_term_the_reports_use_is_searched_as_typed():
    glossary = {"npf": "National Policy Forum", "indy ref": "Scottish independence referendum"}
    used = {"npf", "indy", "ref", "the", "on"}.__contains__
    assert spell_out("news on the NPF", glossary, lambda w: w.lower() in {"npf"}) == "news on the NPF"
    assert spell_out("the indy  ref", glossary, lambda w: False) == "the Scottish independence referendum"
    assert spell_out("the indy ref", glossary, lambda w: used(w.lower())) == "the indy ref"
    assert spell_out("the indyreferendum", glossary, lambda w: False) == "the indyreferendum"  # whole words only


@pytest.mark.parametrize("entry, problem", [
    ('NPF = 3', "'NPF' must be given what the reports call it"),
    ('"N.P.F" = "National Policy Forum"', "'N.P.F' must be words"),
    ('NPF = "National Policy Forum"\nnpf = "the NPF"', "'npf' is given twice"),
    ('NPF = "National Policy Forum', "cannot read the glossary"),
])
def test_a_bad_glossary_entry_is_named_with_its_file_and_line(tmp_path, entry, problem):
    (tmp_path / GLOSSARY_FILE).write_text("# shorthand\n" + entry + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=f"{GLOSSARY_FILE}:(2|3): .*{problem}|{GLOSSARY_FILE}: {problem}"):
        load_glossary(tmp_path)


def test_editing_the_glossary_embeds_nothing_again_and_a_bad_edit_keeps_the_index_serving(corpus_copy, stand_in,
                                                                                           tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_copy, corpus)
    build(corpus, tmp_path / "index", stand_in)
    (corpus / GLOSSARY_FILE).write_text('euros = "European elections"\n', encoding="utf-8")
    messages: list[str] = []
    index = open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    assert index.glossary == {"euros": "European elections"} and index.manifest["embedded_chunks"] == 0
    assert any(f"file changed: {GLOSSARY_FILE}" in m or f"new file {GLOSSARY_FILE}" in m for m in messages)

    (corpus / GLOSSARY_FILE).write_text('euros = "European elections"\nGE = ""\n', encoding="utf-8")
    served = open_index(corpus, tmp_path / "index", stand_in, log=messages.append)
    assert served.glossary == {"euros": "European elections"}
    assert any(f"{GLOSSARY_FILE}:2" in m and "still serving" in m for m in messages), messages[-1]
