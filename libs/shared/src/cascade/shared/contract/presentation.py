"""The ``presentation`` section: how a run of the workflow is named and summarised for people.

Everything here is a ``{{ name }}`` template (see ``templates.py``) over the run's values; how a
value looks (``50,000.00``, ``Welcome kit, Loyalty points``, ``—``) comes from its type, in
``display.py``, never from the template. Checked at load like every section
(``check_presentation``): every name must be bound.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .inputs import Identifier


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class SummaryField(_Part):
    """One labelled value of the summary, e.g. ``{label: Tier, value: "{{ pricing_tier }}"}``."""

    label: str = Field(min_length=1, max_length=60)
    value: str = Field(min_length=1)
    """Template."""


class Presentation(_Part):
    """The business subject of a run: its title, a few labelled values, one plain-language
    sentence of what approving does, and the keys that make two pending runs twins."""

    title: str = Field(min_length=1)
    """Template naming what the run is about, e.g. ``{{ company_name }}``."""
    summary: list[SummaryField] = Field(default_factory=list)
    """Labelled values shown next to the title (the title itself is not repeated)."""
    sentence: str | None = Field(default=None, min_length=1)
    """Template: what approving does, in one line, with the real values."""
    twin_keys: list[Identifier] = Field(default_factory=list)
    """Names of values (e.g. normalized company name and email): two pending runs sharing a
    non-empty one would do the same thing twice."""
