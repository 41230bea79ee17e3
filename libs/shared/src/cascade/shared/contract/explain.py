"""Turn pydantic's validation errors into contract problems: the path as written in the
document (``fan_out[2].needs[0]``, without pydantic's union-tag segments) and a message that
says what was expected."""

from __future__ import annotations

import inspect
import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .checks import Path, Problem

_TAG_FIELDS = ("kind", "type")


def problems_from(
    error: ValidationError, document: object, model: type[BaseModel]
) -> list[Problem]:
    """One problem per pydantic error, with document paths and plain messages."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        path = document_path(loc, document)
        problems.append(Problem(path, _message(detail, _model_at(model, loc[:-1]))))
    return problems


def document_path(loc: Sequence[str | int], document: object) -> Path:
    """Pydantic's location minus the union-tag segments it inserts for discriminated unions."""
    path: list[str | int] = []
    node: object = document
    for index, part in enumerate(loc):
        # Pydantic puts the tag of a discriminated union right after the list index.
        after_index = index > 0 and isinstance(loc[index - 1], int)
        if after_index and isinstance(node, dict) and part in _tags(node):
            continue
        if isinstance(part, str) and "[" in part and part.endswith("]"):
            continue  # a validator or union wrapper such as "function-after[...]"
        path.append(part)
        node = _descend(node, part)
    return tuple(path)


def _tags(node: dict[Any, Any]) -> set[object]:
    return {node.get(field) for field in _TAG_FIELDS if field in node}


def _descend(node: object, part: str | int) -> object:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _message(detail: Any, model: type[BaseModel] | None) -> str:
    kind, ctx, got = detail["type"], detail.get("ctx") or {}, detail.get("input")
    field = detail["loc"][-1] if detail["loc"] else ""
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields) if model else "the documented fields"
        return f"unexpected field {field!r}; expected only: {allowed}"
    if kind == "missing":
        return f"missing required field {field!r}"
    if kind == "union_tag_invalid":
        name = str(ctx["discriminator"]).strip("'")
        return f"unknown {name} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
    if kind == "union_tag_not_found":
        name = str(ctx["discriminator"]).strip("'")
        return f"missing field {name!r}, which selects the kind of entry"
    if kind in ("value_error", "assertion_error"):
        return str(detail["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = str(detail["msg"]).replace("Input should be", "expected")
    return f"{message}, got {got!r}" if not isinstance(got, (dict, list)) else message


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        current = _field_type(current, part)
        if current is None:
            return None
    current = _unwrap(current)
    return current if inspect.isclass(current) and issubclass(current, BaseModel) else None


def _field_type(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if isinstance(part, int):
        return get_args(annotation)[0] if origin is list else None
    if origin is dict:
        return get_args(annotation)[1]
    if origin in (Union, types.UnionType):
        return next((m for m in get_args(annotation) if part in _literal_tags(m)), None)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return None if field is None else field.annotation
    return None


def _literal_tags(member: Any) -> set[object]:
    if not (inspect.isclass(member) and issubclass(member, BaseModel)):
        return set()
    tags: set[object] = set()
    for name in _TAG_FIELDS:
        field = member.model_fields.get(name)
        if field is not None and get_origin(field.annotation) is Literal:
            tags.update(get_args(field.annotation))
    return tags


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            members = [a for a in get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007
        else:
            return annotation
