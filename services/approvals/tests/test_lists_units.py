"""Pure parts of the lists: time tags, warning names, summary pairs, search patterns, pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import get_args

import httpx
from pydantic import SecretStr

from cascade.approvals import fmt
from cascade.approvals.api_proposals import ProposalStatusFilter
from cascade.approvals.api_runs import RunStatusFilter
from cascade.approvals.app import create_app
from cascade.approvals.headers import SECURITY_HEADERS
from cascade.approvals.list_params import Pager, search_filters, search_of
from cascade.approvals.ui_inbox import StatusFilter
from cascade.approvals.ui_queries import like_pattern
from cascade.approvals.warning_badges import WarningBadge, humanised, warning_badges
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.settings import Settings


def test_the_status_filters_are_the_status_enums_values_in_order() -> None:
    # Strings, not members, so a 422 names plain values; these keep them the enums'.
    assert get_args(RunStatusFilter) == tuple(RunStatus)
    assert get_args(ProposalStatusFilter) == tuple(ProposalStatus)
    assert get_args(StatusFilter) == (*ProposalStatus, "all")


def test_time_tag_is_utc_machine_readable_and_escaped() -> None:
    berlin = timezone(timedelta(hours=1))
    tag = fmt.time_tag(datetime(2026, 12, 1, 14, 31, 34, tzinfo=berlin))
    assert str(tag) == (
        '<time datetime="2026-12-01T13:31:34Z" title="2026-12-01 13:31:34 UTC">'
        "2026-12-01 13:31:34 UTC</time>"
    )
    assert str(fmt.time_tag(None)) == "—"


def test_warnings_are_named_by_message_or_humanised_rule() -> None:
    rules = [{"name": "valid_email", "message": None},
             {"name": "tier_has_programs", "message": "The tier assigns no programs."}]  # fmt: skip
    assert warning_badges(["valid_email", "tier_has_programs"], rules, None) == [
        WarningBadge("invalid email", "invalid email"),
        WarningBadge("The tier assigns no programs", "The tier assigns no programs."),
    ]
    presented = [{"name": "valid_email", "message": "", "downstream": "NetSuite refuses it"}]
    assert warning_badges(["x"], rules, presented) == [
        WarningBadge("invalid email", "invalid email")
    ]
    assert warning_badges(None, None, None) == []
    assert warning_badges("odd", {"no": "list"}, {}) == []
    assert humanised("known_terms") == "unknown terms"
    assert humanised("email_domain_known") == "email domain known"


def test_summary_pairs_skip_empty_and_odd_entries() -> None:
    summary = [{"label": "Email", "value": "a@b.example"}, {"label": "Terms", "value": None},
               {"label": "", "value": "x"}, "odd", {"label": "Limit", "value": 5}]  # fmt: skip
    assert fmt.summary_pairs(summary) == [
        {"label": "Email", "value": "a@b.example"},
        {"label": "Limit", "value": "5"},
    ]
    assert fmt.summary_pairs(None) == []


def test_search_text_wildcards_are_literal() -> None:
    assert like_pattern("100% A_b\\") == "%100\\% a\\_b\\\\%"


def test_pager_keeps_the_filters() -> None:
    search = search_of("  acme ", date(2026, 1, 2), None)
    assert search.text == "acme"
    filters = {"status": "pending", **search_filters(search)}
    first = Pager(filters, 0, 50)
    assert first.previous is None
    assert first.next == "?status=pending&q=acme&since=2026-01-02&offset=50"
    assert Pager(filters, 50, 3).previous == "?status=pending&q=acme&since=2026-01-02"
    assert Pager(filters, 50, 3).next is None
    assert search_of("   ", None, None).text is None


async def test_a_browser_gets_a_500_page_without_details_and_with_headers() -> None:
    app = create_app(Settings(admin_token=SecretStr("unit-admin-token")))

    async def broken() -> None:
        raise RuntimeError("a bug with a secret detail")

    app.add_api_route("/broken", broken)
    app.add_api_route("/v1/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://approvals") as client:
        page = await client.get("/broken", headers={"Accept": "text/html"})
        api = await client.get("/v1/broken", headers={"Accept": "text/html"})
        plain = await client.get("/broken")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in page.text
    assert "secret detail" not in page.text
    assert "Traceback" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self';")
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"):
        assert page.headers[name] == SECURITY_HEADERS[name]
    for response in (api, plain):
        assert response.status_code == 500
        assert response.json()["error"] == "internal_error"
        assert (
            response.headers["content-security-policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )


def test_time_left_counts_to_the_approval_window_then_overdue() -> None:
    created = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    window, expires = timedelta(minutes=60), created + timedelta(hours=24)
    at = created + timedelta(minutes=48)
    assert fmt.window_left(created, window, expires, at) == "12m 00s left"
    later = created + timedelta(minutes=65)
    assert fmt.window_left(created, window, expires, later) == "overdue by 5m 00s"
    assert fmt.window_left(created, None, expires, at) == "23h 12m left"
    assert fmt.window_left(created, None, None, at) == "never"
