"""The names warnings go by on the lists: "invalid email", not `valid_email` or a count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A failed rule named for what should hold reads as its opposite: `valid_email` -> "invalid
# email". Other names are read as they are, underscores as spaces.
_OPPOSITES = {"valid_": "invalid ", "known_": "unknown ", "has_": "no "}


@dataclass(frozen=True)
class WarningBadge:
    """One named warning: a short name for the badge, the rule's message for its tooltip."""

    name: str
    message: str


def humanised(rule: str) -> str:
    """A rule name as a person reads it when the rule failed."""
    for prefix, opposite in _OPPOSITES.items():
        if rule.startswith(prefix):
            return opposite + rule.removeprefix(prefix).replace("_", " ")
    return rule.replace("_", " ")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def warning_badges(names: Any, preconditions: Any, presented: Any) -> list[WarningBadge]:
    """The badges of a proposal's warnings (pure): the runner's presentation when it wrote
    one, else the payload's warn-rule names with each precondition's message. A rule named
    for what should hold (`valid_email`) reads as its opposite, "invalid email"; any other
    is named by its message, else its humanised name."""
    if isinstance(presented, list) and presented:
        items = [w for w in presented if isinstance(w, dict)]
        return [_badge(str(w.get("name") or "warning"), _text(w.get("message"))) for w in items]
    messages = {
        str(rule.get("name")): _text(rule.get("message"))
        for rule in (preconditions if isinstance(preconditions, list) else [])
        if isinstance(rule, dict)
    }
    rules = [str(n) for n in (names if isinstance(names, list) else [])]
    return [_badge(rule, messages.get(rule)) for rule in rules]


def _badge(rule: str, message: str | None) -> WarningBadge:
    # A rule named for what should hold reads best as its opposite ("invalid email"), with
    # its sentence as the tooltip; any other rule is named by its message.
    if message is None or rule.startswith(tuple(_OPPOSITES)):
        return WarningBadge(humanised(rule), message or humanised(rule))
    return WarningBadge(message.rstrip("."), message)
