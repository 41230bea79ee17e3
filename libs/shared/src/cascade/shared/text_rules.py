"""Which characters untrusted text may hold, and what counts as one email address.

One rule for every edge (intake's API, form and Kafka path, the approvals API and UI), so a
value refused on one path is refused on all. Single-line fields (names, subjects, recipients,
filters) hold no control character at all: C0 (NUL, TAB, LF, CR, ...), DEL, C1 (incl. NEL)
and the Unicode line and paragraph separators. A CR or LF there ends up in an email header
or a NetSuite field and breaks it; NUL cannot be stored in PostgreSQL text at all.
Multi-line fields (addresses, an email's body, a reason) may also hold TAB, LF and CR.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

_SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What would let a mail system read one field as several recipients or a display name.
_ADDRESS_SEPARATORS = re.compile(r"[,;<>\s]")
_NAMES = {0x00: " NUL", 0x09: " TAB", 0x0A: " LF", 0x0D: " CR", 0x7F: " DEL", 0x85: " NEL"}

MAX_SUBJECT = 300
"""Characters an email draft's subject may hold."""
MAX_BODY = 20_000
"""Characters an email draft's text may hold."""


def control_character_problem(text: str, multiline: bool = False) -> str | None:
    """Why `text` cannot be stored as is (the first offending character), or None."""
    pattern = _MULTI_LINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN
    found = pattern.search(text)
    if found is None:
        return None
    code = ord(found.group())
    where = f"U+{code:04X}{_NAMES.get(code, '')} at position {found.start()}"
    if multiline:
        return f"must not contain control characters ({where})"
    return f"must be a single line without control characters ({where})"


def single_line(text: str) -> str:
    """`text` unchanged, or ValueError if it holds a control or line-break character."""
    problem = control_character_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def multi_line(text: str) -> str:
    """`text` unchanged, or ValueError if it holds a control character other than TAB/LF/CR."""
    problem = control_character_problem(text, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return text


def several_addresses_problem(text: str) -> str | None:
    """Why `text` could name more than one recipient (separators, spaces, a display name,
    two `@`), or None. An odd but single token (no `@`, no dot) passes: judging whether it
    is a deliverable address is left to the contract's own rules (a warning for Mike)."""
    if _ADDRESS_SEPARATORS.search(text) or text.count("@") > 1:
        return "must be exactly one email address (no lists, names or spaces)"
    return None


def one_recipient(text: str) -> str:
    """`text` unchanged, or ValueError if it could name more than one recipient."""
    problem = control_character_problem(text) or several_addresses_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def address_problem(text: str) -> str | None:
    """Why `text` is not exactly one valid email address (email-validator's syntax rules, no
    DNS lookup), or None."""
    problem = control_character_problem(text) or several_addresses_problem(text)
    if problem is not None:
        return problem
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"not a valid email address: {exc}"
    return None


def valid_address(text: str) -> str:
    """`text` unchanged if it is exactly one valid email address, else ValueError."""
    problem = address_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def email_text_problem(subject: str, body: str) -> str | None:
    """Why a subject and text cannot be an email draft (pure), or None: both needed, within
    `MAX_SUBJECT` / `MAX_BODY`, the subject one line, the text free of control characters.
    One rule for Mike's edits and an agent's suggestions: a suggestion becomes the draft."""
    if not subject.strip() or not body.strip():
        return "subject and text are needed"
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        return f"the subject holds at most {MAX_SUBJECT} characters, the text {MAX_BODY}"
    if problem := control_character_problem(subject.strip()):
        return f"subject {problem}"
    if problem := control_character_problem(body, multiline=True):
        return f"text {problem}"
    return None
