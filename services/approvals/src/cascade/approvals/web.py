"""What every UI page shares: templates, form parsing, the session and CSRF guards."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cascade.approvals.auth import remote_addr
from cascade.approvals.errors import ApiError, read_limited
from cascade.approvals.logins import signed_in
from cascade.approvals.sessions import SessionPolicy, SessionUser, same_token
from cascade.approvals.ui_settings import UiSettings
from cascade.approvals.unit_of_work import SqlLoginWork
from cascade.shared.contract import Contract
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024
# Pages load only our own script and stylesheet; nothing may frame them.
PAGE_CSP = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
)


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, everything else answers 401."""


@dataclass(frozen=True)
class Ui:
    """What the UI pages read: the runtime, the UI settings and the contracts, built once by
    the app factory (`app.state.ui`) and handed to each page by `UiDep`."""

    runtime: ServiceRuntime
    settings: UiSettings
    contracts: Mapping[str, Contract]

    @property
    def policy(self) -> SessionPolicy:
        """Idle and absolute session timeouts."""
        return SessionPolicy(self.settings.ui_session_idle_s, self.settings.ui_session_absolute_s)

    def uow(self) -> UnitOfWork:
        """A unit of work on the service's database."""
        return UnitOfWork(self.runtime.session_factory)


async def ui_of(request: Request) -> Ui:
    """The `Ui` of the app serving `request` (a FastAPI dependency)."""
    ui: Ui = request.app.state.ui
    return ui


UiDep = Annotated[Ui, Depends(ui_of)]


def render(name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    """A template as an HTML page with the page CSP."""
    html = TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(
        html, status_code=http_status, headers={"Content-Security-Policy": PAGE_CSP}
    )


def see_other(url: str) -> RedirectResponse:
    """Post/redirect/get: a 303 to `url`."""
    return RedirectResponse(url, status_code=303)


async def read_form(ui: Ui, request: Request) -> dict[str, str]:
    """A urlencoded body as single values (the last of repeated ones dropped); a body that
    does not arrive in time is a 408 (`errors.read_limited`)."""
    raw = await read_limited(request, MAX_FORM_BYTES, ui.runtime.settings.http_body_timeout_s)
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_form", "the form could not be read") from None
    return {key: values[0] for key, values in parsed.items() if values}


async def current_user(ui: Ui, request: Request) -> SessionUser:
    """The session's admin, or LoginRequired."""
    cookie = request.cookies.get(ui.settings.cookie_name)
    if not cookie:
        raise LoginRequired
    async with ui.uow() as uow:
        user = await signed_in(SqlLoginWork(uow), cookie, remote_addr(request), ui.policy)
    if user is None:
        raise LoginRequired
    # The error pages show the signed-in shell (`error_pages`).
    request.state.user = user
    return user


async def form_of(ui: Ui, request: Request) -> tuple[SessionUser, dict[str, str]]:
    """A state-changing POST: a session and a matching CSRF token, or 401 / 403."""
    user = await current_user(ui, request)
    form = await read_form(ui, request)
    if not same_token(form.get("csrf_token"), user.csrf_token):
        log.warning(
            "csrf refused: %s %s from %s", request.method, request.url.path, user.remote_addr
        )
        raise ApiError(403, "csrf", "missing or wrong CSRF token; reload the page")
    return user, form


def login_redirect(request: Request) -> Response:
    """Pages send the browser to the login page; other requests get a bare 401."""
    if request.method == "GET" and request.url.path != "/events":
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return see_other(f"/login?next={target}")
    return Response("login required", status_code=401, media_type="text/plain")
