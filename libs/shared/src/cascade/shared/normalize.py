"""Normalization for duplicate detection: two spellings a sales rep would consider "the same
customer" map to the same key ("Acme, Inc." == "ACME Inc" == full-width "ACME Inc.").

The stored key (``customers.companyname_normalized``) and the lookup key must come from the same
function, so existing rows are back-filled with it rather than with an SQL approximation.
"""

from __future__ import annotations

import re
import unicodedata

# Trailing words that name a legal form, not the business. Multi-word forms ("pty ltd",
# "gmbh & co kg") fall out of stripping one word at a time from the end.
LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "companies",
        "llc", "llp", "lp", "ltd", "limited", "plc", "pty", "gmbh", "mbh", "ag", "kg",
        "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "kk",
    }
)  # fmt: skip
_LEADING_ARTICLES = frozenset({"the"})
_CONNECTORS = frozenset({"and"})
_TRAILING = LEGAL_SUFFIXES | _CONNECTORS
_DROPPED = re.compile(r"['’`´.]")  # "McDonald's" == "McDonalds", "L.L.C." == "LLC"
_SEPARATORS = re.compile(r"[^\w]+|_")


def normalize_company_name(name: str) -> str:
    """The duplicate-detection key of a company name: case, accents, width, punctuation,
    surrounding spaces, a leading "The" and trailing legal forms do not matter."""
    words = _words(name)
    core = _strip_legal_form(words)
    return " ".join(core)


def normalize_email(email: str) -> str:
    """The duplicate-detection key of an email address: trimmed, NFKC, lower-case.

    ``str.lower`` (not ``casefold``) so the key equals PostgreSQL's ``lower(email)``;
    provider-specific rewrites (dots, +tags) are not applied: they are not universal.
    """
    return unicodedata.normalize("NFKC", email).strip().lower()


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _DROPPED.sub("", text.lower()).replace("&", " and ").replace("+", " and ")
    return [word for word in _SEPARATORS.split(text) if word]


def _strip_legal_form(words: list[str]) -> list[str]:
    start = 1 if len(words) > 1 and words[0] in _LEADING_ARTICLES else 0
    end = len(words)
    # At least one word always stays: an empty key would make every name made only of legal
    # words ("The Company", "Inc") a duplicate of every other.
    while end - start > 1 and words[end - 1] in _TRAILING:
        end -= 1
    core = words[start:end]
    return core if core and core[-1] not in _CONNECTORS else words
