"""Who may see and do what in the web app: logins, the staff role, and the guards on its routes.

Members sign in with `--auth` logins (or none, when login is off); staff with `--staff` logins,
which also open the "Add a report" and "Insights" tabs. Both use Gradio's one login page. Programs
calling the JSON API send an API token instead (`--api-token`, as `Authorization: Bearer`). Three
guards sit in front of every route: a visitor who has not signed in sees no API description, only a
staff login may upload a file, on any upload route (403 for everyone else, members included), and
the JSON API takes a login or a token whenever either is set up.
"""

from __future__ import annotations

import hmac
import re

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import BadLogin


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """'user:pass[,user2:pass2]' → credentials; None or '' → no login."""
    if not value:
        return None
    pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
    if any(len(p) != 2 or not p[0] or not p[1] for p in pairs):
        raise BadLogin("--auth and --staff take USER:PASSWORD[,USER:PASSWORD…]")
    return [(u, p) for u, p in pairs]


def logins(members: str | None, staff: str | None) -> list[tuple[str, str]] | None:
    """Every login the app takes: members' and staff's; None when there are none (login off)."""
    pairs = (parse_auth(members) or []) + (parse_auth(staff) or [])
    names = [user for user, _ in pairs]
    if len(set(names)) != len(names):
        raise BadLogin("a user name is given twice in --auth and --staff")
    return pairs or None


def staff_names(staff: str | None) -> frozenset[str]:
    return frozenset(user for user, _ in parse_auth(staff) or [])


def is_staff(request, staff: frozenset[str]) -> bool:
    """Whether a Gradio request comes from a staff login: staff tabs are shown on this, and every
    step in them checks it again on the server, since a hidden tab is no lock."""
    return getattr(request, "username", None) in staff


def signed_in_user(request: Request) -> str | None:
    """The user whose Gradio login cookie this request carries, if any."""
    app = request.app
    token = (request.cookies.get(f"access-token-{app.cookie_id}")
             or request.cookies.get(f"access-token-unsecure-{app.cookie_id}"))
    return app.tokens.get(token)


_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)


class HideApiFromStrangers(BaseHTTPMiddleware):
    """Blank the API description in pages shown to visitors who have not signed in.

    Gradio 6.31 writes it into the login page (routes.py, main()): endpoint names, parameters and
    the meeting dates the filter takes. With login on, a stranger should learn nothing of the app."""

    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        if (not getattr(request.app, "auth", None) or not response.headers.get("content-type", "").startswith("text/html")
                or signed_in_user(request) is not None):
            return response
        body = _API_INFO.sub(b"window.gradio_api_info = {};</script>",
                             b"".join([chunk async for chunk in response.body_iterator]))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body, status_code=response.status_code, headers=headers)


class StaffOnlyUploads(BaseHTTPMiddleware):
    """Refuse file uploads (403) to everyone but signed-in staff, on every upload route.

    Gradio's upload routes take a file from any signed-in user, or from anyone when login is off;
    only the "Add a report" tab needs them, and only staff may use it."""

    def __init__(self, app, staff: frozenset[str]):
        super().__init__(app)
        self.staff = staff

    async def dispatch(self, request: Request, call_next) -> Response:
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/upload") and not (
                getattr(request.app, "auth", None) and signed_in_user(request) in self.staff):
            return JSONResponse({"error": "only staff signed in with a --staff login may upload files"},
                                status_code=403)
        return await call_next(request)


def parse_tokens(value: str | None) -> frozenset[str]:
    """'TOKEN[,TOKEN…]' → the API tokens; a token shorter than 16 characters is refused as guessable."""
    tokens = frozenset(t.strip() for t in (value or "").split(",") if t.strip())
    if any(len(t) < 16 for t in tokens):
        raise BadLogin("an API token must be at least 16 characters (e.g. from `openssl rand -hex 24`)")
    return tokens


class ApiAccess(BaseHTTPMiddleware):
    """Guard the JSON API (`prefix`): with login on or API tokens set, a request needs a signed-in
    session or `Authorization: Bearer TOKEN`; 401 without either, 403 for a token that is not one of ours.

    Gradio guards its own routes with its login; this covers the routes it does not know of."""

    def __init__(self, app, prefix: str, tokens: frozenset[str]):
        super().__init__(app)
        self.prefix, self.tokens = prefix, tokens

    async def dispatch(self, request: Request, call_next) -> Response:
        login_on = bool(getattr(request.app, "auth", None))
        if not request.url.path.startswith(self.prefix) or not (login_on or self.tokens):
            return await call_next(request)
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and sent:
            if any(hmac.compare_digest(sent.strip().encode(), t.encode()) for t in self.tokens):
                return await call_next(request)
            return JSONResponse({"error": "this API token is not accepted here"}, status_code=403)
        if login_on and signed_in_user(request) is not None:
            return await call_next(request)
        return JSONResponse({"error": "sign in, or send an API token as 'Authorization: Bearer TOKEN'"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
