"""The plain JSON API: `/api/v1` on the chat's own server, and `/healthz` for load balancers.

A party website, a bot or a spreadsheet wants one HTTP call that returns JSON, not Gradio's
queue protocol. The API is a FastAPI app of its own, mounted into Gradio's server (one process,
one port), so that its OpenAPI spec (`/api/v1/openapi.json`, docs at `/api/v1/docs`) describes
these routes only. Its bodies are the command line's `--json` output, so the two never drift.
Who may call it is decided in front of it (`access.ApiAccess`), as for the rest of the app.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount, Route

from .asking import ask_logged
from .decisions import Decision
from .errors import BadFilter
from .retrieve import Filters
from .service import Assistant
from .usage_log import UsageLog

PREFIX = "/api/v1"
MAX_QUESTION_CHARS = 4000  # the model reads 384 word pieces (~1,500 characters); past this it is not a question (413)
MAX_K = 50


class Problem(BaseModel):
    """Every error: what is wrong, in words a developer can act on."""
    error: str


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty: send the question to answer")
    return value


def _date(value: str | None) -> str | None:
    """A date filter as `Filters.parse` takes it; the spec below says the same to clients."""
    try:
        return Filters.parse(date_from=value).date_from
    except BadFilter as exc:
        raise ValueError(str(exc).removeprefix("from ")) from None


# The spec states exactly what is accepted, so that a request the spec allows is answered (200) and
# one it forbids is refused (400, or 413 when too long): schemathesis checks both ways.
Text = Annotated[str, Field(max_length=MAX_QUESTION_CHARS), AfterValidator(_text),
                 WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": r"\S"})]
Date = Annotated[str | None, AfterValidator(_date), WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": r"^(\d{4}(-(0[1-9]|1[0-2]))?)?$"}, {"type": "string", "format": "date"},
    {"type": "null"}], "description": "YYYY, YYYY-MM or YYYY-MM-DD; empty or null for any"})]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    question: Text = Field(description="the question, as a member would type it")
    meeting: Date = Field(None, description="only this meeting (YYYY-MM-DD)")
    date_from: Date = Field(None, alias="from", description="only meetings on or after this date")
    date_to: Date = Field(None, alias="to", description="only meetings on or before this date")


class CitationOut(BaseModel):
    meeting_date: str
    section: str
    source: str
    quote: str = Field(description="verbatim from the cleaned report: text[start:end]")
    start: int
    end: int
    url: str | None


class AnswerOut(BaseModel):
    question: str
    answer: str
    abstained: bool
    reason: str | None = Field(description="why nothing is quoted, when abstained")
    citations: list[CitationOut]
    note: str | None


class HitOut(BaseModel):
    rank: int
    score: float
    similarity: float
    meeting_date: str
    title: str
    section: str
    text: str
    source: str
    chunk_id: str
    start: int
    end: int
    url: str | None


class MeetingOut(BaseModel):
    date: str
    title: str
    author: str | None
    url: str | None
    source: str
    sections: list[str]


class Health(BaseModel):
    status: str
    index_version: str
    reports: int


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "a request the spec does not allow: an empty question, a bad date"},
    401: {"model": Problem, "description": "login or API token required (only when the server has auth on)"},
    403: {"model": Problem, "description": "the API token is not one of the server's"},
    413: {"model": Problem, "description": f"a question over {MAX_QUESTION_CHARS:,} characters"},
}


def api(assistant: Assistant, usage: UsageLog | None = None) -> FastAPI:
    """The /api/v1 app for one assistant; questions asked through it are logged like the chat's."""
    app = FastAPI(title="NEC Assistant API", version="1",
                  description="Questions about Labour NEC meeting reports, answered with verbatim quotes "
                              "cited by meeting date and section. The bodies are those of "
                              "`nec-assistant ask --json`, `search --json` and `decisions --json`.")

    @app.exception_handler(HTTPException)
    async def problem(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """400 naming the first field at fault (413 when a question is too long), never FastAPI's 422."""
        errors = exc.errors() or [{"loc": (), "msg": "invalid request", "type": ""}]
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        status = 413 if any(e["type"] == "string_too_long" for e in errors) else 400
        return JSONResponse({"error": f"{where}: {first['msg'].removeprefix('Value error, ')}"}, status_code=status)

    @app.post("/ask", response_model=AnswerOut, responses=ERRORS)
    def ask(request: AskRequest = Body(...)) -> dict:
        """Answer one question with verbatim quotes, each cited by meeting date and section."""
        filters = Filters(request.date_from, request.date_to, request.meeting)
        return ask_logged(assistant, usage, request.question, filters)[0].to_dict()

    @app.get("/search", response_model=list[HitOut], responses=ERRORS)
    def search(q: Text = Query(..., description="what to look for"),
               k: int = Query(5, ge=1, le=MAX_K, description="how many passages")) -> list[dict]:
        """The passages nearest a question, best first."""
        return [h.to_dict() for h in assistant.search(q, k=k)]

    @app.get("/decisions", response_model=list[Decision], responses=ERRORS)
    def decisions(topic: str | None = Query(None, max_length=MAX_QUESTION_CHARS,
                                            description="only decisions about this, matched by meaning"),
                  date_from: Date = Query(None, alias="from"), date_to: Date = Query(None, alias="to")) -> list[dict]:
        """What the committee agreed, oldest meeting first."""
        return [d.to_dict() for d in assistant.decisions((topic or "").strip() or None, Filters(date_from, date_to))]

    @app.get("/meetings", response_model=list[MeetingOut], responses=ERRORS)
    def meetings() -> list[dict]:
        """The reports in the index, oldest meeting first."""
        return [{"date": r.meeting_date.iso(), "title": r.title, "author": r.author, "url": r.url,
                 "source": r.source, "sections": [s.heading for s in r.sections]}
                for r in sorted(assistant.reports.values(), key=lambda r: (r.meeting_date.iso(), r.source))]

    app.openapi = lambda: _without_422(FastAPI.openapi(app))
    return app


def _without_422(spec: dict) -> dict:
    """FastAPI documents a 422 on every route; this API answers 400 instead (see `invalid`)."""
    for operation in (op for path in spec.get("paths", {}).values() for op in path.values()):
        operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        spec.get("components", {}).get("schemas", {}).pop(name, None)
    return spec


def routes(assistant: Assistant, usage: UsageLog | None = None) -> list[BaseRoute]:
    """What the web server adds to Gradio's routes: the API, and the health check."""
    async def healthz(_: Request) -> JSONResponse:
        """For load balancers and container health checks: up, and which index it serves."""
        return JSONResponse(Health(status="ok", index_version=assistant.index_version,
                                   reports=len(assistant.reports)).model_dump())

    return [Route("/healthz", healthz, methods=["GET"]), Mount(PREFIX, app=api(assistant, usage))]
