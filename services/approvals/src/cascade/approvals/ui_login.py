"""`/login` and `/logout`: the single admin's password, throttled, every attempt logged."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cascade.approvals.auth import remote_addr
from cascade.approvals.logins import Login, log_in, log_out, reserve_attempt
from cascade.approvals.passwords import configured_hash, verify
from cascade.approvals.sessions import same_token
from cascade.approvals.throttle import GLOBAL_KEY, Budget, address_key
from cascade.approvals.ui_settings import UiSettings
from cascade.approvals.unit_of_work import SqlLoginWork
from cascade.approvals.web import Ui, UiDep, form_of, read_form, render, see_other

log = logging.getLogger(__name__)


def safe_next(target: str | None) -> str:
    """Only a local path may follow the login: no open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_budgets(addr: str | None, s: UiSettings) -> list[tuple[str, Budget]]:
    """The throttle keys of a login from `addr`, each with its budget: the address's own,
    then all addresses' together (pure)."""
    per_address = Budget(s.ui_login_free_failures, s.ui_login_base_delay_s, s.ui_login_max_delay_s)
    overall = Budget(
        s.ui_login_global_free_failures, s.ui_login_base_delay_s, s.ui_login_global_max_delay_s
    )
    return [(address_key(addr), per_address), (GLOBAL_KEY, overall)]


def _form(ui: Ui, request: Request, status: int = 200, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(32)
    page = render(
        "login.html",
        status,
        configured=configured_hash(ui.settings.admin_password_hash) is not None,
        error=error,
        csrf_token=token,
        next=safe_next(request.query_params.get("next")),
    )
    # Double submit before there is a session: the form's token must equal the cookie.
    _set_cookie(ui, page, ui.settings.login_cookie_name, token, max_age=3600)
    return page


router = APIRouter()


@router.get("/login")
async def show(request: Request, ui: UiDep) -> Response:
    return _form(ui, request)


@router.post("/login")
async def login(request: Request, ui: UiDep) -> Response:
    s = ui.settings
    stored_hash = configured_hash(s.admin_password_hash)
    fields = await read_form(ui, request)
    addr = remote_addr(request)
    if not same_token(fields.get("csrf_token"), request.cookies.get(s.login_cookie_name, "")):
        log.warning("login from %s refused: bad csrf token", addr)
        return _form(ui, request, 403, "The form expired; please try again.")
    if stored_hash is None:
        log.warning("login from %s refused: no CASCADE_ADMIN_PASSWORD_HASH", addr)
        return _form(ui, request, 503, "The UI is not configured.")
    budgets = login_budgets(addr, s)
    # The attempt is counted before the password is checked (and forgiven on success),
    # so concurrent attempts cannot all pass one check before any of them is recorded.
    async with ui.uow() as uow:
        wait = await reserve_attempt(SqlLoginWork(uow), budgets)
    if wait > 0:
        log.warning("login from %s throttled for %.1fs", addr, wait)
        page = _form(ui, request, 429, f"Too many failed attempts; try again in {wait:.0f} s.")
        page.headers["Retry-After"] = str(max(1, round(wait)))
        return page
    if not await verify(stored_hash, fields.get("password", "")):
        log.warning("login from %s failed: wrong password", addr)
        return _form(ui, request, 401, "Wrong password.")
    admin_name = ui.runtime.settings.admin_name
    keys = tuple(key for key, _ in budgets)
    login = Login(admin_name, addr, keys, request.cookies.get(s.cookie_name))
    async with ui.uow() as uow:
        cookie = await log_in(SqlLoginWork(uow), login, ui.policy)
    log.info("login of %s from %s succeeded", admin_name, addr)
    done = see_other(safe_next(fields.get("next")))
    _set_cookie(ui, done, s.cookie_name, cookie, max_age=s.ui_session_absolute_s)
    done.delete_cookie(s.login_cookie_name, path="/", secure=not s.ui_insecure_cookies)
    return done


@router.post("/logout")
async def logout(request: Request, ui: UiDep) -> Response:
    user, _ = await form_of(ui, request)
    s = ui.settings
    async with ui.uow() as uow:
        await log_out(SqlLoginWork(uow), request.cookies.get(s.cookie_name, ""))
    log.info("logout of %s from %s", user.actor, user.remote_addr)
    done = see_other("/login")
    done.delete_cookie(s.cookie_name, path="/", secure=not s.ui_insecure_cookies)
    return done


def _set_cookie(ui: Ui, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=not ui.settings.ui_insecure_cookies,
        httponly=True,
        samesite="strict",
    )
