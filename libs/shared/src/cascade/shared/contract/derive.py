"""Derived values: whitelisted pure functions of inputs, or ``{{ name }}`` templates over
inputs and runtime values, computed before the context queries.

A NULL argument gives NULL for the single-argument functions; ``coalesce`` returns its first
non-NULL argument, as in SQL; a template renders NULL as the empty string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from cascade.shared.normalize import normalize_company_name, normalize_email

from .sections import Derived
from .templates import render_text


def _text(function: Callable[[str], str]) -> Callable[..., object]:
    def apply(value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{function.__name__} expects text, got {value!r}")
        return function(value)

    return apply


def _coalesce(*values: object) -> object:
    return next((value for value in values if value is not None), None)


FUNCTIONS: dict[str, tuple[int | None, Callable[..., object]]] = {
    "normalize_company_name": (1, _text(normalize_company_name)),
    "normalize_email": (1, _text(normalize_email)),
    "coalesce": (None, _coalesce),
}
"""name -> (number of arguments or None for any, function)."""


def compute_derived(derived: Sequence[Derived], values: Mapping[str, object]) -> dict[str, object]:
    """Compute every derived value in declaration order (later ones may use earlier ones);
    ``values`` holds the inputs and, for templates that name them, the runtime values."""
    scope = dict(values)
    result: dict[str, object] = {}
    for spec in derived:
        if spec.template is not None:
            try:
                value: object = render_text(spec.template, scope)
            except KeyError as exc:
                # e.g. {{ run_id }} when the caller passed no runtime values
                raise KeyError(f"derived value {spec.name!r}: {exc.args[0]}") from None
        else:
            assert spec.function is not None  # the model allows one or the other
            _, function = FUNCTIONS[spec.function]
            value = function(*(scope[arg] for arg in spec.args))
        result[spec.name] = scope[spec.name] = value
    return result
