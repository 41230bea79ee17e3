"""Duplicate-detection keys: spellings a sales rep would type for the same customer agree,
different customers stay different."""

from __future__ import annotations

import pytest

from cascade.shared.normalize import normalize_company_name, normalize_email


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Acme", "acme"),
        ("ACME", "acme"),
        ("  Acme  ", "acme"),
        ("Acme, Inc.", "acme"),
        ("ACME Inc", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Co", "acme"),
        ("Acme Company", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme Limited", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme PLC", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme & Co", "acme"),
        ("The Acme Company", "acme"),
        ("ＡＣＭＥ　Ｉｎｃ．", "acme"),  # full-width, as typed with an IME
        ("ａｃｍｅ", "acme"),
        ("Acme\tInc", "acme"),
        ("Acme\u00a0Inc", "acme"),
        ("Acme_Inc", "acme"),
        ("Acme-Widgets", "acme widgets"),
        ("Acme Widgets", "acme widgets"),
        ("Acme  Widgets,  Inc.", "acme widgets"),
        ("McDonald's Corp", "mcdonalds"),
        ("McDonald’s", "mcdonalds"),  # typographic apostrophe
        ("A.B.C. Trading", "abc trading"),
        ("AT&T Inc.", "at and t"),
        ("AT and T", "at and t"),
        ("Café Nero Ltd", "cafe nero"),
        ("CAFÉ NERO", "cafe nero"),
        ("Cafe\u0301 Nero", "cafe nero"),  # e + combining accent
        ("ﬁnance ltd", "finance"),  # ligature
        ("3M Company", "3m"),
        ("株式会社トヨタ", "株式会社トヨタ"),
        ("Inc", "inc"),
        ("The Company", "company"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_company_name_key(typed: str, key: str) -> None:
    assert normalize_company_name(typed) == key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Acme Holdings", "Acme"),
        ("Acme Widgets", "Acme Tools"),
        ("Smith & Sons", "Smith"),
        ("Co-op Foods", "Foods"),
        ("Ac Me", "Acme"),
        ("Acme 2", "Acme"),
    ],
)
def test_different_companies_stay_different(first: str, second: str) -> None:
    assert normalize_company_name(first) != normalize_company_name(second)


def test_company_name_key_is_idempotent() -> None:
    for name in ("Acme, Inc.", "ＡＣＭＥ　Ｉｎｃ．", "The Acme Company", "AT&T"):
        key = normalize_company_name(name)
        assert normalize_company_name(key) == key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("jane@example.com", "jane@example.com"),
        ("Jane@Example.COM", "jane@example.com"),
        ("  jane@example.com \n", "jane@example.com"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "jane@example.com"),
        ("Jane.Doe+quotes@example.com", "jane.doe+quotes@example.com"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
        ("STRASSE@example.de", "strasse@example.de"),
    ],
)
def test_email_key(typed: str, key: str) -> None:
    assert normalize_email(typed) == key


def test_email_key_matches_postgres_lower() -> None:
    # Postgres lower() keeps ß; casefold() would turn it into "ss" and miss the stored row.
    assert normalize_email("Straße@Example.de") == "straße@example.de"
