"""The operator commands without a service: argument parsing, token rules, tables, exit
statuses, against an in-process stand-in of the approvals API (httpx's MockTransport)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cascade.shared.operator_cli import tables
from cascade.shared.operator_cli.client import TokenProblem, admin_token
from cascade.shared.operator_cli.commands import (
    dlq_parser,
    execute,
    outbox_parser,
    proposals_parser,
    runs_parser,
)
from cascade.shared.operator_cli.settings import OperatorSettings

TOKEN = "admin-token-for-tests-0123456789abcdef"
SETTINGS = OperatorSettings(approvals_url="http://approvals.test", admin_token=SecretStr(TOKEN))
LETTER = {
    "id": 7,
    "consumer": "intake.event.price_changed.price.changed",
    "topic": "t1.price.changed",
    "key": "ITEM-1",
    "message_ref": "t1.price.changed:0:12",
    "error": "rejected: invalid event: inputs.currency: Choose one of USD, EUR, GBP.",
    "attempts": 1,
    "created_at": "2026-12-02T10:00:00+00:00",
    "redriven_at": None,
    "redriven_by": None,
    "redrive_outbox_id": None,
}


class Api:
    """Answers like the approvals API and remembers every request."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any]]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers.get(
            (request.method, request.url.path), (404, {"error": "not_found", "message": "no"})
        )
        return httpx.Response(status, json=body)


def run(
    parser: Any, argv: list[str], api: Api, settings: OperatorSettings = SETTINGS
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = execute(
        parser, argv, settings=settings, transport=httpx.MockTransport(api), out=out, err=err
    )
    return code, out.getvalue(), err.getvalue()


def test_dlq_list_sends_the_filters_and_the_admin_token_and_prints_a_table() -> None:
    api = Api({("GET", "/v1/dlq"): (200, {"items": [LETTER], "limit": 5, "offset": 0})})
    code, out, err = run(dlq_parser(), ["list", "--state", "all", "--limit", "5"], api)
    assert (code, err) == (0, "")
    (sent,) = api.requests
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert dict(sent.url.params) == {"state": "all", "limit": "5", "offset": "0"}
    header, rule, row = out.splitlines()
    assert header.split() == [
        "ID",
        "CONSUMER",
        "TOPIC",
        "KEY",
        "TRIES",
        "DEAD",
        "SINCE",
        "REDRIVEN",
        "ERROR",
    ]
    assert set(rule.replace(" ", "")) == {"-"}
    assert row.split()[:5] == ["7", LETTER["consumer"], "t1.price.changed", "ITEM-1", "1"]
    assert row.rstrip().endswith("…"), "a long error is cut in the table"


def test_json_prints_the_api_answer_unchanged() -> None:
    body = {"items": [LETTER], "limit": 50, "offset": 0}
    api = Api({("GET", "/v1/dlq"): (200, body)})
    code, out, _ = run(dlq_parser(), ["list", "--json"], api)
    assert code == 0
    assert json.loads(out) == body


def test_redrive_posts_once_with_the_reason_and_a_refusal_exits_1_with_the_api_message() -> None:
    done = {
        **LETTER,
        "redriven_at": "2026-12-02T11:00:00+00:00",
        "redriven_by": "mike",
        "outbox_id": 41,
    }
    api = Api({("POST", "/v1/dlq/7/redrive"): (200, done)})
    code, out, _ = run(dlq_parser(), ["redrive", "7", "--reason", "currency added"], api)
    assert code == 0
    assert out.strip() == "dead letter 7 redriven to t1.price.changed (key ITEM-1) as outbox row 41"
    assert dict(api.requests[0].url.params) == {"reason": "currency added"}
    refusal = {"error": "already_redriven", "message": "dead letter 7 was already redriven"}
    again = Api({("POST", "/v1/dlq/7/redrive"): (409, refusal)})
    code, out, err = run(dlq_parser(), ["redrive", "7"], again)
    assert (code, out) == (1, "")
    assert err.strip() == "cascade dlq: 409 already_redriven: dead letter 7 was already redriven"


def test_dlq_show_prints_headers_and_value() -> None:
    detail = {
        **LETTER, "headers": {"ce_id": "evt-1", "content-type": "application/json"},
        "idempotency_key": "evt-1", "payload_bytes": 15, "payload_sha256": "ab" * 32,
        "payload_text": '{"price": "1"}', "redrive": None,
    }  # fmt: skip
    code, out, _ = run(dlq_parser(), ["show", "7"], Api({("GET", "/v1/dlq/7"): (200, detail)}))
    assert code == 0
    assert "idempotency key:    evt-1" in out
    assert "ce_id:        evt-1" in out
    assert out.rstrip().endswith('{"price": "1"}')


def test_runs_and_proposals_and_outbox_reach_their_routes() -> None:
    run_id = "0b5e8f5e-0000-4000-8000-000000000001"
    api = Api(
        {
            ("GET", "/v1/runs"): (200, {"items": [{"run_id": run_id, "status": "failed"}]}),
            ("POST", f"/v1/runs/{run_id}/retry"): (
                202,
                {"run_id": run_id, "retried_push_ids": [3]},
            ),
            ("GET", "/v1/proposals"): (200, {"items": []}),
            ("GET", "/v1/outbox"): (
                200,
                {
                    "backlog": 2,
                    "unsent": 1,
                    "parked": 1,
                    "oldest_unsent_age_s": 4.5,
                    "oldest_unsent_at": "2026-12-02T10:00:00+00:00",
                    "topics": [
                        {
                            "topic": "t.ns.push",
                            "backlog": 2,
                            "unsent": 1,
                            "parked": 1,
                            "oldest_unsent_age_s": 4.5,
                            "max_attempts": 10,
                        }
                    ],
                },
            ),
        }
    )
    code, out, _ = run(runs_parser(), ["list", "--status", "failed", "--type", "new_customer"], api)
    assert code == 0
    assert run_id in out
    assert dict(api.requests[-1].url.params) == {
        "status": "failed", "workflow_type": "new_customer", "limit": "50", "offset": "0"
    }  # fmt: skip
    code, out, _ = run(runs_parser(), ["retry", run_id, "--push", "3"], api)
    assert (code, out.strip()) == (0, f"retry requested for push(es) 3 of run {run_id}")
    assert dict(api.requests[-1].url.params) == {"push_id": "3"}
    code, out, _ = run(proposals_parser(), ["list", "--status", "pending"], api)
    assert (code, out.strip()) == (0, "(none)")
    code, out, _ = run(outbox_parser(), ["status"], api)
    assert code == 0
    assert out.splitlines()[0] == "backlog:               2"
    assert "t.ns.push" in out.splitlines()[-1]


def test_usage_errors_exit_2_without_calling() -> None:
    api = Api({})
    assert run(runs_parser(), ["list", "--status", "nope"], api)[0] == 2
    assert run(dlq_parser(), ["show", "not-a-number"], api)[0] == 2
    assert run(dlq_parser(), [], api)[0] == 2
    assert api.requests == []


def test_unreachable_api_exits_1_naming_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    out, err = io.StringIO(), io.StringIO()
    code = execute(
        outbox_parser(), ["status"], settings=SETTINGS,
        transport=httpx.MockTransport(refuse), out=out, err=err,
    )  # fmt: skip
    assert code == 1
    assert "unreachable: http://approvals.test" in err.getvalue()


def test_token_from_file_wins_and_agent_tokens_are_refused_before_any_call(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-file-token\n", encoding="utf-8")
    assert admin_token(token_file, SETTINGS) == "from-file-token"
    assert admin_token(None, SETTINGS) == TOKEN
    agent = tmp_path / "agent"
    agent.write_text("cat_abc123_secret\n", encoding="utf-8")
    with pytest.raises(TokenProblem, match="agent"):
        admin_token(agent, SETTINGS)
    with pytest.raises(TokenProblem, match="no admin token"):
        admin_token(None, OperatorSettings(admin_token=None))
    with pytest.raises(TokenProblem, match="cannot read"):
        admin_token(tmp_path / "missing", SETTINGS)
    api = Api({})
    code, _, err = run(outbox_parser(), ["status", "--token-file", str(agent)], api)
    assert code == 2
    assert "agent (MCP) token" in err
    assert api.requests == []


def test_cells_are_one_line_and_cut() -> None:
    assert tables.cell(None) == "-"
    assert tables.cell("a\nb   c") == "a b c"
    assert tables.cell("x" * 100, width=10) == "x" * 9 + "…"
    assert tables.table([], [("A", "a")]) == "(none)"
