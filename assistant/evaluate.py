"""The retrieval eval: how often the right passage is found, for the full pipeline and baselines.

Gold labels are a meeting date plus verbatim evidence strings (eval/qa.jsonl), never chunk ids,
so the same questions score any chunking. A passage is relevant when it comes from that meeting
and contains an evidence string (or lies inside one). nDCG@10 follows BEIR/MTEB: binary gains,
log2 discount, ideal ranking from every relevant passage in the index.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .answer import answer
from .build import embed_chunks
from .chunking import Chunk, fixed_size_chunks
from .dates import find_dates
from .decisions import is_decision
from .embed import Embedder
from .errors import QAFormatError
from .index import Index
from .question import Question
from .retrieve import Hit, Retriever

K = 10


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answer: str
    meeting_date: str | None  # None: the reports cannot answer it
    evidence: list[str]
    tags: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.meeting_date is not None


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            item = QAItem(data["id"], data["question"], data["answer"], data["meeting_date"], data["evidence"],
                          data.get("tags", []))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAFormatError(f"{path}:{n}: {exc}") from exc
        if item.answerable and not item.evidence:
            raise QAFormatError(f"{path}:{n}: answerable question {item.id} has no evidence")
        items.append(item)
    return items


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def is_relevant(item: QAItem, chunk: Chunk) -> bool:
    if chunk.meeting_date != item.meeting_date:
        return False
    text = _norm(chunk.text)
    return any(_norm(e) in text or text in _norm(e) for e in item.evidence)


def ndcg(relevance: list[bool], total_relevant: int, k: int = K) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, rel in enumerate(relevance[:k]) if rel)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(total_relevant, k)))
    return dcg / ideal if ideal else 0.0


@dataclass
class QuestionResult:
    id: str
    question: str
    meeting_date: str | None
    rank: int | None  # of the first relevant passage in the top K; None if none there
    ndcg: float
    top_meeting: str | None
    abstained: bool | None = None  # `ask` only: whether it said it found nothing
    quotes_hold_evidence: bool | None = None
    first_line_date: bool | None = None  # `ask`, "when was … agreed?" questions: the right meeting named first


@dataclass
class SystemResult:
    name: str
    description: str
    questions: list[QuestionResult]
    metrics: dict[str, float | None] = field(default_factory=dict)

    def failures(self) -> list[QuestionResult]:
        """Answerable questions whose passage was not first, and unanswerable ones not abstained on."""
        out = []
        for q in self.questions:
            if q.meeting_date and q.rank != 1:
                out.append(q)
            elif q.abstained is not None and q.abstained != (q.meeting_date is None):
                out.append(q)
        return out


def _metrics(results: list[QuestionResult]) -> dict[str, float | None]:
    answerable = [r for r in results if r.meeting_date]
    n = len(answerable)
    m: dict[str, float | None] = {f"hit@{k}": sum(r.rank is not None and r.rank <= k for r in answerable) / n
                                  for k in (1, 3, 5, 10)}
    m["mrr@10"] = sum(1 / r.rank for r in answerable if r.rank) / n
    m["ndcg@10"] = sum(r.ndcg for r in answerable) / n
    m["top1_date"] = sum(r.top_meeting == r.meeting_date for r in answerable) / n
    asked = [r for r in results if r.abstained is not None]
    if asked:
        m["quotes_hold_evidence"] = sum(bool(r.quotes_hold_evidence) for r in answerable) / n
        abstained = [r for r in asked if r.abstained]
        unanswerable = [r for r in asked if not r.meeting_date]
        right = [r for r in abstained if not r.meeting_date]
        m["abstain_precision"] = len(right) / len(abstained) if abstained else None
        m["abstain_recall"] = len(right) / len(unanswerable) if unanswerable else None
        when = [r for r in asked if r.first_line_date is not None]
        m["when_agreed_first_line"] = sum(r.first_line_date for r in when) / len(when) if when else None
    else:
        m.update(quotes_hold_evidence=None, abstain_precision=None, abstain_recall=None, when_agreed_first_line=None)
    return m


def evaluate(name: str, description: str, retriever: Retriever, items: list[QAItem], ask: bool = False,
             progress: Callable[[int], None] = lambda _: None) -> SystemResult:
    """Run every question through one system; with `ask`, through the full answer too."""
    chunks = retriever.index.chunks
    results = []
    for n, item in enumerate(items):
        question = Question.read(item.question)
        hits: list[Hit] = retriever.search(question, k=K)
        relevance = [is_relevant(item, h.chunk) for h in hits] if item.answerable else []
        result = QuestionResult(
            item.id, item.question, item.meeting_date,
            rank=next((i + 1 for i, rel in enumerate(relevance) if rel), None),
            ndcg=ndcg(relevance, sum(is_relevant(item, c) for c in chunks)) if item.answerable else 0.0,
            top_meeting=hits[0].chunk.meeting_date if hits else None,
        )
        if ask:
            reply = answer(question, retriever)
            result.abstained = reply.abstained
            result.quotes_hold_evidence = any(
                _norm(e) in _norm(c.quote) or _norm(c.quote) in _norm(e)
                for c in reply.citations if c.meeting_date == item.meeting_date for e in item.evidence)
            if "when-agreed" in item.tags and item.meeting_date:
                named = find_dates(reply.text.split("\n", 1)[0])
                result.first_line_date = bool(named) and named[0].date.iso() == item.meeting_date
        results.append(result)
        progress(n + 1)
    return SystemResult(name, description, results, _metrics(results))


@dataclass(frozen=True)
class ExtractorScore:
    """The decision extractor against hand-judged sentences."""

    judged: int
    decisions: int  # judged to be decisions
    found: int  # picked by the extractor
    right: int  # picked and judged a decision

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.right / self.decisions if self.decisions else 0.0

    def summary(self) -> str:
        return (f"decision extractor on {self.judged} hand-judged sentences: precision {self.precision:.3f} "
                f"({self.right}/{self.found}), recall {self.recall:.3f} ({self.right}/{self.decisions})")


def score_extractor(path: Path) -> ExtractorScore:
    """Precision and recall of `is_decision` on a JSON Lines file of {text, decision: bool} judgements."""
    judged = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                data = json.loads(line)
                judged.append((bool(data["decision"]), is_decision(data["text"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise QAFormatError(f"{path}:{n}: {exc}") from exc
    return ExtractorScore(len(judged), sum(truth for truth, _ in judged), sum(found for _, found in judged),
                          sum(truth and found for truth, found in judged))


def fixed_size_index(index: Index, embedder: Embedder) -> Index:
    """The tutorial baseline's index: the same cleaned reports in 1,000-character windows, embedded bare."""
    reports = list(index.reports.values())
    chunks = [c for r in reports for c in fixed_size_chunks(r)]
    return embed_chunks(reports, chunks, embedder, {"chunker": "fixed 1000/200"}, text_of=lambda c: c.text)


def systems(index: Index, embedder: Embedder, compare: bool) -> list[tuple[str, str, Retriever, bool]]:
    """(name, description, retriever, run ask too) for each system in the run, full pipeline last."""
    full = ("full", "sections, dense+sentence & BM25 fused, intent", Retriever(index, embedder), True)
    if not compare:
        return [full]
    return [
        ("bm25", "BM25 alone, section chunks", Retriever(index, embedder, dense_weight=0.0, use_intent=False), False),
        ("dense", "dense alone, section chunks", Retriever(index, embedder, dense_weight=1.0, sentence_weight=0.0, use_intent=False), False),
        ("fixed-1000", "dense, 1000-char windows, 200 overlap",
         Retriever(fixed_size_index(index, embedder), embedder, dense_weight=1.0, sentence_weight=0.0,
                   use_intent=False), False),
        full,
    ]


COLUMNS = ["hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "top1_date", "quotes_hold_evidence",
           "abstain_precision", "abstain_recall", "when_agreed_first_line"]
HEADERS = ["hit@1", "hit@3", "hit@5", "hit@10", "MRR@10", "nDCG@10", "date@1", "quotes", "abst.P", "abst.R", "when@1"]


def format_table(results: list[SystemResult]) -> str:
    width = max(len(r.name) for r in results) + 2
    lines = ["system".ljust(width) + "".join(h.rjust(8) for h in HEADERS)]
    for r in results:
        cells = ["—" if r.metrics.get(c) is None else f"{r.metrics[c]:.3f}" for c in COLUMNS]
        lines.append(r.name.ljust(width) + "".join(c.rjust(8) for c in cells))
    return "\n".join(lines)


def format_failures(result: SystemResult) -> str:
    lines = [f"{len(result.failures())} questions where {result.name} missed (rank of the right passage; "
             "abstention where the reports cannot answer):"]
    for q in result.failures():
        if q.meeting_date:
            where = f"rank {q.rank}" if q.rank else "not in top 10"
            lines.append(f"  {q.id}  {where:13}  {q.meeting_date}  {q.question}")
        else:
            lines.append(f"  {q.id}  {'answered':13}  {'(none)':10}  {q.question}")
    return "\n".join(lines)


def write_report(results: list[SystemResult], out_dir: Path, qa_path: Path) -> list[Path]:
    """report.json with every figure and question, and chart.png comparing the systems."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "report.json"
    report.write_text(json.dumps({
        "qa_file": str(qa_path),
        "systems": [{"name": r.name, "description": r.description, "metrics": r.metrics,
                     "questions": [asdict(q) for q in r.questions]} for r in results],
    }, indent=2, ensure_ascii=False), encoding="utf-8")

    shown = ["hit@1", "hit@5", "mrr@10", "ndcg@10"]
    fig, ax = plt.subplots(figsize=(9, 5.2))
    width = 0.8 / len(results)
    for i, r in enumerate(results):
        xs = [j + i * width for j in range(len(shown))]
        bars = ax.bar(xs, [r.metrics[m] for m in shown], width, label=f"{r.name}: {r.description}")
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(shown))], ["hit@1", "hit@5", "MRR@10", "nDCG@10"])
    ax.set_ylim(0, 1.1)
    n = sum(q.meeting_date is not None for q in results[0].questions)
    ax.set_title(f"NEC Assistant retrieval, {n} answerable questions ({qa_path.name})")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    fig.tight_layout()
    chart = out_dir / "chart.png"
    fig.savefig(chart, dpi=120)
    plt.close(fig)
    return [report, chart]
