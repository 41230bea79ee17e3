"""Which concurrency limit wins: the setting, or the lower one NetSuite reports."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.shared.netsuite.governance import effective_limit, reported_limit, slot_policy
from cascade.shared.settings import Settings


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        (
            {
                "accountConcurrencyLimit": 15,
                "unallocatedConcurrencyLimit": 5,
                "integrationConcurrencyLimit": 3,
                "limitType": "integrationSpecific",
            },
            3,
        ),
        ({"accountConcurrencyLimit": 15, "unallocatedConcurrencyLimit": 5}, 5),
        ({"accountConcurrencyLimit": 15}, 15),
        ({"accountConcurrencyLimit": 0, "unallocatedConcurrencyLimit": True}, None),
        ({"accountConcurrencyLimit": "15"}, None),
        ([], None),
        (None, None),
    ],
)
def test_the_reported_limit(body: Any, limit: int | None) -> None:
    assert reported_limit(body) == limit


def test_the_lower_limit_wins() -> None:
    assert effective_limit(4, None) == 4
    assert effective_limit(4, 2) == 2
    assert effective_limit(4, 15) == 4


def test_the_pool_is_the_accounts_and_the_lease_outlasts_a_send() -> None:
    policy = slot_policy(Settings(netsuite_account_id="ACME", netsuite_timeout_s=5))
    assert policy.pool == "netsuite:ACME"
    assert policy.lease_s > 4 * 5
