"""Agent tokens and the gateway's reserved names, without a database."""

from __future__ import annotations

import pytest

from cascade.mcp.server import TOOL_SCOPES
from cascade.mcp.tokens import SCOPES, TokenProblem, check_mint, split_token
from cascade.shared.run_requests.staging import agent_started_by, reserved_key


def test_a_mint_needs_a_plain_name_and_known_scopes() -> None:
    assert check_mint("claude", ["runs:read"]) == {"runs:read"}
    for name in ("", "Claude", "a b", "agent:x", "-x", "x" * 64):
        with pytest.raises(TokenProblem):
            check_mint(name, ["runs:read"])
    with pytest.raises(TokenProblem, match="unknown scopes"):
        check_mint("claude", ["proposals:approve"])
    with pytest.raises(TokenProblem, match="at least one"):
        check_mint("claude", [])


def test_only_well_formed_agent_tokens_are_looked_up() -> None:
    secret = "s" * 43
    assert split_token(f"cat_0123456789abcdef_{secret}") == ("0123456789abcdef", secret)
    for token in ("", "Bearer x", f"cat_short_{secret}", "cat_0123456789abcdef_tooshort",
                  f"0123456789abcdef_{secret}"):  # fmt: skip
        assert split_token(token) is None


def test_no_scope_or_tool_decides_anything() -> None:
    deciding = ("approve", "reject", "decide", "send", "retry", "execute", "correct", "resend")
    assert set(TOOL_SCOPES.values()) <= SCOPES.keys()
    for name in (*SCOPES, *TOOL_SCOPES):
        assert not any(word in name for word in deciding), name


def test_agent_keys_and_started_by_are_reserved_for_the_gateway() -> None:
    assert agent_started_by("claude") == "agent:claude"
    assert reserved_key("agent:claude:k1")
    assert not reserved_key("form-123")
