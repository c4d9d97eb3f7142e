"""The running web app leaks no file and, with a login on, no data to anyone not signed in (issue #7).

Each check goes over real HTTP to the real app, because what matters is what the server sends back,
whatever Gradio version or routing sits in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from assistant.app import DISCLAIMER, build_app, launch
from assistant.net import free_port
from conftest import CORPUS, ROOT

PASSWD = "root:x:0:0"
REPORT = CORPUS / "003_f1e80eed3dac3883.txt"
PYPROJECT = ROOT / "pyproject.toml"
# Words of the reports, and of the app's own page, config and API, that no one signed out may see. Not
# words of QUESTION: a refused request may echo its own body back.
REPORT_WORDS = ["Mayoral primary", "Refounding Labour", "Dianna Holland", "(£3)"]
APP_WORDS = [DISCLAIMER[:40], "Ask about the meetings of Labour", "4 November 2014", '"citations"']
# The API's schema: its endpoint names and the meeting dates the filter accepts.
SCHEMA_WORDS = ['"/answer"', '"/decisions"', '"2014-11-04"']
QUESTION = "What will supporters pay to vote in the mayoral primary?"
# What would make the answer endpoint answer, were the request let through.
BODY = {"data": [QUESTION, "", "", ""], "fn_index": 0, "session_hash": "probe", "event_data": None, "trigger_id": None}


def _excerpt(path: Path) -> str:
    """A line from the middle of the file: the UI may show a report's title, never its body."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    return lines[len(lines) // 2][:60]


def _traversal_targets() -> list[str]:
    """Raw request targets, sent byte for byte: httpx would otherwise resolve '..' before sending."""
    targets = []
    for secret in ("/etc/passwd", str(REPORT), str(PYPROJECT)):
        targets += [f"/gradio_api/file={secret}", f"/file={secret}", f"/gradio_api/file/{secret}"]
    depth = "../" * 12
    for escape in (depth, "%2e%2e%2f" * 12, "..%2f" * 12, "%252e%252e%252f" * 12, "..%5c" * 12, "....//" * 12):
        targets += [f"/gradio_api/file={escape}etc/passwd", f"/gradio_api/file/{escape}etc/passwd",
                    f"/static/{escape}etc/passwd", f"/assets/{escape}etc/passwd", f"/svelte/{escape}etc/passwd",
                    f"/gradio_api/proxy={escape}etc/passwd", f"/{escape}etc/passwd"]
    targets += ["/gradio_api/file=file:///etc/passwd", "/gradio_api/file=//etc/passwd",
                f"/gradio_api/file={ROOT}/../../../../etc/passwd", f"/gradio_api/file={CORPUS}/../pyproject.toml",
                "/gradio_api/upload_progress?upload_id=../../../../etc/passwd",
                "/gradio_api/custom_component/x/x/x/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd"]
    return targets


@pytest.mark.parametrize("target", _traversal_targets())
def test_no_file_outside_the_app_can_be_read(server: str, target: str) -> None:
    secrets = [PASSWD, _excerpt(REPORT), _excerpt(PYPROJECT)]
    with httpx.Client(base_url=server, follow_redirects=True, timeout=30) as http:
        response = http.get(target, extensions={"target": target.encode()})
    leaked = [s for s in secrets if s in response.text]
    assert not leaked, f"{target} → {response.status_code} leaks {leaked}"


def test_upload_cannot_write_outside_its_folder(server: str) -> None:
    """An uploaded file named with '..' must not land where its name points."""
    escaped = ROOT / "nec-upload-escape.txt"
    name = "../" * 12 + str(escaped).lstrip("/")
    with httpx.Client(base_url=server, timeout=30) as http:
        response = http.post("/gradio_api/upload", files={"files": (name, b"escaped")})
    assert not escaped.exists(), response.text
    for path in response.json() if response.status_code == 200 else []:
        assert Path(path).resolve().name == "nec-upload-escape.txt" and ".." not in Path(path).parts


_DUMMY = {"api_name": "answer", "path": "index.html", "path_or_url": "x", "url_path": "x", "size": "192",
          "key": "x", "file_name": "x.js", "ext": "ts"}


def _fill(path: str) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: _DUMMY.get(m.group(1), "x"), path)


def _routes(routes, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route, including those of routers Gradio includes lazily."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            for method in route.methods - {"HEAD"}:
                yield method, prefix + route.path


@pytest.fixture(scope="module")
def auth_server(assistant) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The app with a login on, and every (method, path) its server answers, path parameters filled in."""
    demo = build_app(assistant)
    _, url, _ = launch(demo, "127.0.0.1", free_port(), auth="staff:s3cret", block=False)
    paths = sorted({(m, _fill(p)) for m, p in _routes(demo.app.routes)})
    for api_name in ("decisions", "chat"):  # the other endpoints, wherever a route takes an api_name
        paths += [(m, p.replace("/answer", f"/{api_name}")) for m, p in paths if "/answer" in p]
    yield url.rstrip("/"), paths
    demo.close()


def _fetch(http: httpx.Client, method: str, path: str) -> tuple[int, str]:
    """Status and the first 64 kB of the body; event streams (heartbeat, queue data) never end on their own."""
    body = b""
    try:
        with http.stream(method, path, json=BODY if method == "POST" else None, timeout=5) as response:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > 65536:
                    break
            return response.status_code, body.decode("utf-8", "replace")
    except httpx.ReadTimeout:
        return 0, body.decode("utf-8", "replace")


def test_every_route_gives_nothing_away_without_login(auth_server) -> None:
    url, routes = auth_server
    assert len(routes) > 50  # the enumeration found Gradio's API routes, not just the page
    leaks = []
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as http:
        for method, path in routes:
            status, text = _fetch(http, method, path)
            found = [w for w in REPORT_WORDS + APP_WORDS if w in text]
            if found:
                leaks.append(f"{method} {path} → {status} {found}")
    assert not leaks, "\n".join(leaks)


def test_login_page_hides_the_api_schema(auth_server) -> None:
    """Signed out, the page shows no endpoint names nor which meetings the reports cover."""
    url, _ = auth_server
    page = httpx.get(url, timeout=30).text
    assert not [w for w in SCHEMA_WORDS if w in page]


@pytest.mark.parametrize("method, path", [
    ("GET", "/gradio_api/info"), ("GET", "/config"), ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/call/answer"), ("POST", "/gradio_api/call/decisions"), ("POST", "/gradio_api/run/answer"),
    ("POST", "/gradio_api/api/answer"),
])
def test_api_is_refused_without_login(auth_server, method: str, path: str) -> None:
    url, _ = auth_server
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as http:
        response = http.request(method, path, json=BODY if method == "POST" else None)
    assert response.status_code in (401, 403), f"{method} {path} → {response.status_code}: {response.text[:200]}"


def test_wrong_password_is_refused(auth_server) -> None:
    url, _ = auth_server
    with httpx.Client(base_url=url, timeout=30) as http:
        login = http.post("/login", data={"username": "staff", "password": "wrong"})
        assert login.status_code in (400, 401, 403)
        assert http.get("/gradio_api/info").status_code in (401, 403)


def test_signed_in_the_api_answers(auth_server) -> None:
    url, _ = auth_server
    result = Client(url, auth=("staff", "s3cret"), verbose=False).predict(QUESTION, "", "", "", api_name="/answer")
    assert any(c["meeting_date"] == "2014-11-04" and "(£3)" in c["quote"] for c in result["citations"])
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.post("/login", data={"username": "staff", "password": "s3cret"}).status_code == 200
        assert http.get("/gradio_api/info").status_code == 200
