"""How a run's values look to people: one pure function per value, chosen by type.

Decimals with grouping and at least two places (``50,000.00``), rows of a context result by
their names (``Welcome kit, Loyalty points``), NULL as ``—``. Templates stay ``{{ name }}``
only; they are rendered over these display strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .inputs import DecimalInput
from .models import Contract

MISSING = "—"
"""How a NULL (or an empty list of rows) is shown."""
_ROW_NAME_KEYS = ("name", "companyname", "title", "label")


def display_value(value: object) -> str:
    """One value as text for people."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() is not None else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return _row_name(value)
    if isinstance(value, list | tuple):
        names = [_row_name(r) if isinstance(r, Mapping) else display_value(r) for r in value]
        return ", ".join(names) if names else MISSING
    text = str(value)
    return text if text.strip() else MISSING


def display_values(contract: Contract, scope: Mapping[str, object]) -> dict[str, str]:
    """Every value of ``scope`` as display text; decimal inputs are shown as decimals even
    when they arrive as text (a run's stored JSON holds decimals as strings)."""
    decimals = {i.name for i in contract.inputs if isinstance(i, DecimalInput)}
    return {
        name: display_value(_as_decimal(value) if name in decimals else value)
        for name, value in scope.items()
    }


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 0)
    return f"{value:,.{places}f}"


def _as_decimal(value: object) -> object:
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _row_name(row: Mapping[object, object]) -> str:
    # A row is shown by its name column; a row without one by its first non-id value.
    for key in _ROW_NAME_KEYS:
        if row.get(key) not in (None, ""):
            return display_value(row[key])
    rest = [v for k, v in row.items() if k != "id"] or list(row.values())
    return display_value(rest[0]) if rest else MISSING
