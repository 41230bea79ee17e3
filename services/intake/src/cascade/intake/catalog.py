"""What intake's routes accept: the contracts and the check of their inputs, built once by
`app.create_app` (`app.state.catalog`) and read by the routes through `CatalogDep`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from cascade.shared.contract import Contract
from cascade.shared.run_requests.validation import InputValidator


@dataclass(frozen=True)
class Catalog:
    """The loaded contracts by workflow type, and their inputs' validator."""

    contracts: Mapping[str, Contract]
    validate: InputValidator


async def catalog_of(request: Request) -> Catalog:
    """The catalog of the app serving `request` (a FastAPI dependency)."""
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(catalog_of)]
