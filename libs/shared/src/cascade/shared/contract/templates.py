"""``{{ name }}`` templates: the Jinja2-compatible subset contracts may use.

Only plain placeholders are allowed (no filters, attribute access, blocks or comments), so a
template can be checked completely at load time and rendered without a template engine: every
name must be bound, and nothing in a contract can execute code. Any such template renders the
same under Jinja2, should the project adopt it later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from pydantic import JsonValue

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*$")
_EXACT = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")


class TemplateSyntaxError(ValueError):
    """A template uses more than ``{{ name }}`` placeholders."""


@lru_cache(maxsize=1024)
def template_names(text: str) -> frozenset[str]:
    """The names a template refers to; raises TemplateSyntaxError outside the allowed subset."""
    for marker in ("{%", "{#"):
        if marker in text:
            raise TemplateSyntaxError(
                f"template blocks and comments ({marker}...) are not supported; "
                "expected only {{ name }} placeholders"
            )
    names: set[str] = set()
    for match in _PLACEHOLDER.finditer(text):
        name = _NAME.match(match.group(1))
        if name is None:
            raise TemplateSyntaxError(
                f"unsupported placeholder {match.group(0)!r}; expected {{{{ name }}}} "
                "with a lower-case name (no filters, dots or expressions)"
            )
        names.add(name.group(1))
    if "{{" in _PLACEHOLDER.sub("", text):
        raise TemplateSyntaxError("unclosed '{{' in template; expected {{ name }}")
    return frozenset(names)


def tree_names(tree: JsonValue) -> frozenset[str]:
    """The names referred to by every string inside a JSON-like tree (e.g. NetSuite fields)."""
    if isinstance(tree, str):
        return template_names(tree)
    if isinstance(tree, list):
        return frozenset().union(*(tree_names(item) for item in tree))
    if isinstance(tree, dict):
        return frozenset().union(*(tree_names(item) for item in tree.values()))
    return frozenset()


def render_text(text: str, values: Mapping[str, object]) -> str:
    """Substitute every placeholder; a NULL (None) value renders as the empty string."""
    template_names(text)

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in values:
            raise KeyError(f"template name {name!r} is not bound")
        value = values[name]
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(substitute, text)


def render_tree(
    tree: JsonValue, values: Mapping[str, object], *, drop_nulls: bool = True
) -> object:
    """Render a JSON-like tree: a string that is exactly one placeholder keeps the value's type,
    other strings are text templates, and object keys whose value renders to NULL are dropped
    (so NetSuite keeps its own default instead of receiving an explicit null) unless
    ``drop_nulls`` is False (a stored document keeps every key of its shape)."""
    if isinstance(tree, str):
        exact = _EXACT.match(tree)
        if exact is None:
            return render_text(tree, values)
        if exact.group(1) not in values:
            raise KeyError(f"template name {exact.group(1)!r} is not bound")
        return values[exact.group(1)]
    if isinstance(tree, list):
        return [render_tree(item, values, drop_nulls=drop_nulls) for item in tree]
    if isinstance(tree, dict):
        rendered = {
            key: render_tree(item, values, drop_nulls=drop_nulls) for key, item in tree.items()
        }
        return {k: item for k, item in rendered.items() if item is not None or not drop_nulls}
    return tree
