"""The size and depth bound that every untrusted JSON passes before a parser sees it."""

from __future__ import annotations

import random

import pytest

from cascade.shared.backoff import backoff_window_s, full_jitter_s
from cascade.shared.bounded_json import JsonLimitError, check_json_limits, loads_bounded


def test_ordinary_document_parses() -> None:
    assert loads_bounded(b'{"a": "[[[[{{", "b": [1, {"c": "\\"]"}]}') == {
        "a": "[[[[{{",
        "b": [1, {"c": '"]'}],
    }


def test_brackets_inside_strings_do_not_count() -> None:
    check_json_limits(b'["' + b"[" * 10_000 + b'"]', max_depth=2)


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deep_nesting_is_a_value_error_not_a_recursion_error(opener: bytes) -> None:
    with pytest.raises(JsonLimitError, match="deeper than 64"):
        loads_bounded(opener * 100_000)


def test_exactly_at_the_limit_is_accepted() -> None:
    assert loads_bounded(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(JsonLimitError):
        loads_bounded(b"[" * 65 + b"]" * 65)


def test_size_limit() -> None:
    with pytest.raises(JsonLimitError, match="exceeds the limit of 4"):
        loads_bounded(b"[1,2]", max_bytes=4)


def test_bad_json_is_still_a_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting property name"):
        loads_bounded(b"{nope")


def test_backoff_window_doubles_and_caps() -> None:
    assert [backoff_window_s(n, 1.5, 30.0) for n in range(1, 7)] == [1.5, 3, 6, 12, 24, 30]
    assert backoff_window_s(5, 2.0, 30.0, exponential=False) == 2.0
    assert backoff_window_s(10_000, 1.0, 60.0) == 60.0


def test_full_jitter_stays_inside_the_window() -> None:
    rng = random.Random(7)
    draws = [full_jitter_s(3, 1.0, 30.0, rng) for _ in range(500)]
    assert all(0.0 <= d <= 4.0 for d in draws)
    assert max(draws) > 3.0
    assert min(draws) < 1.0
