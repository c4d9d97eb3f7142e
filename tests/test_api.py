"""The JSON API (/api/v1) and /healthz, on the real server: what an integrator's first calls get,
what bad input gets, who may call it, and schemathesis fuzzing every route against its own spec."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from gradio_client import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from assistant.access import parse_tokens
from assistant.api import MAX_QUESTION_CHARS, routes
from assistant.app import build_app, launch
from assistant.errors import BadLogin
from assistant.net import free_port

TOKEN = "t0ken-for-the-party-website-0001"


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.rstrip("/"), timeout=60) as client:
        yield client


def _verbatim(citation: dict, assistant) -> bool:
    return assistant.reports[citation["source"]].text[citation["start"]:citation["end"]] == citation["quote"]


def test_asking_with_one_post_returns_the_answer_with_its_quotes_and_meeting_dates(http, assistant):
    response = http.post("/api/v1/ask", json={"question": "Who is the Party Treasurer?"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["question"] == "Who is the Party Treasurer?" and not body["abstained"]
    treasurer = [c for c in body["citations"] if "re-election to the role of Party Treasurer" in c["quote"]]
    assert treasurer and treasurer[0]["meeting_date"] == "2012-05-29"
    assert all(_verbatim(c, assistant) for c in body["citations"])


def test_the_api_answers_as_the_command_line_does(http, assistant):
    question = "When was the conference timetable agreed?"
    body = http.post("/api/v1/ask", json={"question": question}).json()
    assert body == assistant.ask(question).to_dict()
    assert body["answer"].startswith("Agreed at the NEC meeting of 16 July 2013.")


def test_a_date_range_limits_the_answer_to_those_meetings(http):
    body = http.post("/api/v1/ask", json={"question": "What was said about Scotland?", "from": "2014", "to": "2014"}).json()
    assert body["citations"] and {c["meeting_date"] for c in body["citations"]} == {"2014-11-04"}


def test_search_returns_k_passages_best_first(http):
    hits = http.get("/api/v1/search", params={"q": "London mayoral primary", "k": 3}).json()
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["meeting_date"] == "2013-07-16" and "primary" in hits[0]["text"]


def test_decisions_are_filtered_by_date_and_listed_oldest_first(http):
    rows = http.get("/api/v1/decisions", params={"from": "2012", "to": "2013"}).json()
    dates = [r["meeting_date"] for r in rows]
    assert dates and dates == sorted(dates) and set(dates) <= {"2012-05-29", "2012-11-27", "2013-07-16"}


def test_meetings_lists_each_report_with_its_date_and_sections(http):
    meetings = http.get("/api/v1/meetings").json()
    assert [m["date"] for m in meetings] == ["2011-11-01", "2012-05-29", "2012-11-27", "2013-07-16", "2014-11-04"]
    away_day = meetings[-1]
    assert away_day["author"] == "Johanna Baxter" and "Other issues" in away_day["sections"]


def test_healthz_gives_the_index_version_and_report_count(http, assistant):
    assert http.get("/healthz").json() == {"status": "ok", "index_version": assistant.index_version, "reports": 5}


@pytest.mark.parametrize("body, status, says", [
    ({"question": "   "}, 400, "question: is empty"),
    ({"question": "budget", "from": "2012-13"}, 400, "from: must be a year, YYYY-MM or YYYY-MM-DD"),
    ({"question": "budget", "meeting": "2013-02-30"}, 400, "meeting: must be a year"),
    ({"questions": "budget"}, 400, "question: Field required"),
    ({"question": "x" * (MAX_QUESTION_CHARS + 1)}, 413, "at most 4000 characters"),
])
def test_bad_input_gets_a_4xx_with_a_json_error_saying_what_is_wrong(http, body, status, says):
    response = http.post("/api/v1/ask", json=body)
    assert response.status_code == status and says in response.json()["error"]
    assert "Traceback" not in response.text


def test_a_body_that_is_not_json_and_an_unknown_route_get_json_errors(http):
    broken = http.post("/api/v1/ask", content=b"{question:", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "error" in broken.json()
    assert http.get("/api/v1/nowhere").json() == {"error": "Not Found"}
    assert http.get("/api/v1/search", params={"q": "budget", "k": 0}).status_code == 400


def test_a_new_user_can_call_the_gradio_endpoints_with_the_question_alone(server):
    client = Client(server, verbose=False)
    answer = client.predict("Who is the Party Treasurer?", api_name="/answer")
    assert any(c["meeting_date"] == "2012-05-29" for c in answer["citations"])
    history = client.predict("When was the conference timetable agreed?", api_name="/chat")[0]
    assert "16 July 2013" in history[-1]["content"][0]["text"]


def test_the_spec_and_docs_are_served_under_the_api_and_the_framework_spec_is_not(http):
    spec = http.get("/api/v1/openapi.json").json()
    assert set(spec["paths"]) == {"/ask", "/search", "/decisions", "/meetings"}
    assert "422" not in spec["paths"]["/ask"]["post"]["responses"]  # bad input is a 400
    assert "swagger" in http.get("/api/v1/docs").text.lower()
    assert http.get("/openapi.json").status_code == 404


# ---- under auth ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(assistant):
    demo = build_app(assistant, staff="boss:b0ssb0ss")
    app, url, _ = launch(demo, "127.0.0.1", free_port(), auth="member:m3mber", staff="boss:b0ssb0ss",
                         block=False, routes=routes(assistant), api_tokens=TOKEN)
    yield app, url.rstrip("/")
    demo.close()


API_ROUTES = ["/api/v1/openapi.json", "/api/v1/docs", "/api/v1/meetings", "/api/v1/search?q=budget",
              "/api/v1/decisions"]


def test_under_auth_the_api_refuses_strangers_and_wrong_tokens(guarded):
    _, url = guarded
    with httpx.Client(base_url=url, timeout=60) as http:
        for route in API_ROUTES:
            assert http.get(route).status_code == 401, route
            assert http.get(route, headers={"Authorization": "Bearer not-a-token-of-ours-at-all"}).status_code == 403
        refused = http.post("/api/v1/ask", json={"question": "budget"})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "Bearer" in refused.json()["error"]


def test_under_auth_a_token_or_a_login_opens_the_api(guarded):
    _, url = guarded
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        assert all(http.get(route).status_code == 200 for route in API_ROUTES)
        assert http.post("/api/v1/ask", json={"question": "Who is the Party Treasurer?"}).json()["citations"]
    with httpx.Client(base_url=url, timeout=60) as http:
        assert http.post("/login", data={"username": "member", "password": "m3mber"}).status_code == 200
        assert http.get("/api/v1/meetings").status_code == 200


def test_a_guessable_api_token_is_refused_when_serving_starts():
    with pytest.raises(BadLogin, match="at least 16 characters"):
        parse_tokens("letmein,t0ken-for-the-party-website-0001")
    assert parse_tokens(f" {TOKEN} ,") == {TOKEN}


def _get_routes(routes_: list) -> list[str]:
    """Every GET path of the server without path parameters, Gradio's own and mounted apps' included."""
    paths = []
    for route in routes_:
        if hasattr(route, "original_router"):  # FastAPI's included routers
            paths += _get_routes(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "endpoint"):  # a mounted app
            paths += [route.path + p for p in _get_routes(route.routes)]
        elif "{" not in route.path and "GET" in (getattr(route, "methods", None) or {"GET"}):
            paths.append(route.path or "/")
    return paths


# What a stranger may fetch under auth: the login page and what it needs, and the load balancers' check.
OPEN = {"/", "/logout", "/healthz", "/favicon.ico", "/theme.css", "/robots.txt", "/manifest.json",
        "/gradio_api/theme.css", "/gradio_api/user", "/gradio_api/user/", "/gradio_api/token", "/gradio_api/token/",
        "/gradio_api/app_id", "/gradio_api/app_id/", "/gradio_api/startup-events", "/gradio_api/runs",
        "/gradio_api/runs/"}


def test_under_auth_no_route_tells_a_stranger_about_the_reports_or_the_api(guarded):
    app, url = guarded
    paths = _get_routes(app.routes)
    assert "/api/v1/openapi.json" in paths and "/gradio_api/info" in paths and len(paths) > 30
    with httpx.Client(base_url=url, timeout=60) as http:
        for path in paths:
            response = http.get(path)
            if path in OPEN:
                assert not any(secret in response.text for secret in ("2012-05-29", "/ask", "Treasurer")), path
            else:
                assert response.status_code in (401, 403, 404), (path, response.status_code)


# ---- fuzzing ------------------------------------------------------------------------------------

# 413 is this API's answer to a question over the length the spec allows; schemathesis does not list it.
FUZZ = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": [400, 401, 403, 404, 405, 406, 413, 415, 422]}}})


@pytest.fixture(scope="module")
def api_spec(server):
    return schemathesis.openapi.from_url(f"{server.rstrip('/')}/api/v1/openapi.json", config=FUZZ)


@pytest.mark.parametrize("method, path, mode", [
    *((method, path, mode) for method, path in (("POST", "/ask"), ("GET", "/search"), ("GET", "/decisions"))
      for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)),
    ("GET", "/meetings", GenerationMode.POSITIVE)])  # it takes no input, so no input can be wrong
def test_every_route_holds_to_its_spec_under_generated_input(api_spec, method, path, mode):
    """Valid input is answered, invalid input refused with a 4xx, never a 5xx, and every response
    matches the spec (schemathesis' own checks, 100 generated requests each way per route)."""
    operation = api_spec[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def holds(case) -> None:
        case.call_and_validate()

    holds()
