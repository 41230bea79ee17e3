"""`fetch_whole_assignment` sets the prefetch back-off on every member, or refuses to start."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from cascade.shared.messaging import WHOLE_FETCH_BACKOFF_S, fetch_whole_assignment


def _member(fetcher: object | None) -> SimpleNamespace:
    return SimpleNamespace(_fetcher=fetcher)


def test_every_member_of_every_subscriber_gets_the_back_off() -> None:
    fetchers = [SimpleNamespace(_prefetch_backoff=0.1) for _ in range(3)]
    concurrent = SimpleNamespace(consumer_subgroup=[_member(f) for f in fetchers[:2]])
    single = SimpleNamespace(consumer_subgroup=[], consumer=_member(fetchers[2]))
    fetch_whole_assignment(cast(Any, SimpleNamespace(subscribers=[concurrent, single])))
    assert [f._prefetch_backoff for f in fetchers] == [WHOLE_FETCH_BACKOFF_S] * 3


def test_an_aiokafka_without_the_attribute_fails_the_start() -> None:
    sub = SimpleNamespace(consumer_subgroup=[_member(SimpleNamespace())])
    with pytest.raises(RuntimeError, match="_prefetch_backoff"):
        fetch_whole_assignment(cast(Any, SimpleNamespace(subscribers=[sub])))
