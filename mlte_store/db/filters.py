"""Compile query filters to SQL boolean expressions, per dialect.

Property and Tag filters run against the artifact's search document
(`ArtifactRow.search`, see `casefold`): the path is encoded the way the
document's keys are, the value is case-folded in Python, and the database only
tests plain substring containment (`strpos` / `instr`, never `LIKE`, so `%`
and `_` match literally). Paths and values are always bound parameters.

Given a `Parameters` collector, the compiler names those parameters instead
of binding their values, so that one compiled statement serves every filter
of the same shape (`filter_shape`): the repository caches such statements.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, assert_never

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Text,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeEngine

from mlte_store.casefold import encode_key, fold
from mlte_store.query import (
    AllFilter,
    AndFilter,
    Filter,
    IdentifierFilter,
    NoneFilter,
    OrFilter,
    PropertyFilter,
    TagFilter,
    TypeFilter,
    split_path,
)
from mlte_store.tables import artifact_table as _artifact

_DOCUMENT = _artifact.c.search


class Parameters:
    """Collects a filter's paths and values as named bind parameters (`filter_0`, ...)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any, type_: TypeEngine[Any] | None = None) -> BindParameter[Any]:
        name = f"filter_{len(self.values)}"
        self.values[name] = value
        return bindparam(name, type_=type_)


def _bind(
    value: Any, params: Parameters | None, type_: TypeEngine[Any] | None = None
) -> BindParameter[Any]:
    """The value as an anonymous bound parameter, or as a named one of `params`."""
    if params is None:
        return bindparam(None, value, type_=type_)
    return params.bind(value, type_)


def filter_shape(filter: Filter) -> Hashable:
    """What a filter's SQL depends on: the kinds of filters and their nesting, not values."""
    if isinstance(filter, AndFilter | OrFilter):
        return (str(filter.type.value), tuple(filter_shape(f) for f in filter.filters))
    return str(filter.type.value)


def compile_filter(
    filter: Filter, dialect: str, params: Parameters | None = None
) -> ColumnElement[bool]:
    """The SQL condition selecting exactly the artifacts `filter.match()` accepts.

    Without `params` the values are bound in the expression; with it they are
    named parameters whose values `params` collects, in the same order for
    every filter of the same `filter_shape`.
    """
    match filter:
        case AllFilter():
            return true()
        case NoneFilter():
            return false()
        case IdentifierFilter():
            return _artifact.c.identifier == _bind(filter.id, params, _artifact.c.identifier.type)
        case TypeFilter():
            return _artifact.c.type == _bind(filter.item_type.value, params, _artifact.c.type.type)
        case PropertyFilter():
            return _text_contains(filter.name, fold(filter.property), dialect, params)
        case TagFilter():
            return _list_has_text_containing(filter.name, fold(filter.tag), dialect, params)
        case AndFilter():
            return and_(true(), *(compile_filter(f, dialect, params) for f in filter.filters))
        case OrFilter():
            return or_(false(), *(compile_filter(f, dialect, params) for f in filter.filters))
        case _:
            assert_never(filter)


def _encoded_path(name: str) -> list[str]:
    return [encode_key(key) for key in split_path(name)]


def _sqlite_path(name: str) -> str:
    # Encoded keys never hold '"' or '\', so quoting each one is always a valid path.
    return "$" + "".join(f'."{key}"' for key in _encoded_path(name))


def _postgres_value_at(name: str, params: Parameters | None) -> ColumnElement[Any]:
    path = _bind(_encoded_path(name), params, ARRAY(Text))
    return _DOCUMENT.op("#>", return_type=JSONB)(path)


def _text_contains(
    name: str, needle: str, dialect: str, params: Parameters | None
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        value = _postgres_value_at(name, params)
        text = value.op("#>>", return_type=Text)(bindparam(None, [], type_=ARRAY(Text)))
        return and_(
            func.jsonb_typeof(value) == "string",
            func.strpos(text, _bind(needle, params, Text())) > 0,
        )
    path = _bind(_sqlite_path(name), params, Text())
    return and_(
        func.json_type(_DOCUMENT, path) == "text",
        func.instr(func.json_extract(_DOCUMENT, path), _bind(needle, params, Text())) > 0,
    )


def _list_has_text_containing(
    name: str, needle: str, dialect: str, params: Parameters | None
) -> ColumnElement[bool]:
    if dialect == "postgresql":
        value = _postgres_value_at(name, params)
        only_lists = case(
            (func.jsonb_typeof(value) == "array", value),
            else_=bindparam(None, [], type_=JSONB),
        )
        element = func.jsonb_array_elements(only_lists).table_valued("value").render_derived()
        element_text = element.c.value.op("#>>", return_type=Text)(
            bindparam(None, [], type_=ARRAY(Text))
        )
        return (
            select(1)
            .select_from(element)
            .where(
                func.jsonb_typeof(element.c.value) == "string",
                func.strpos(element_text, _bind(needle, params, Text())) > 0,
            )
            .exists()
        )
    path = _bind(_sqlite_path(name), params, Text())
    element = func.json_each(_DOCUMENT, path).table_valued("type", "value")
    return and_(
        func.json_type(_DOCUMENT, path) == "array",
        select(1)
        .select_from(element)
        .where(
            element.c.type == "text",
            func.instr(element.c.value, _bind(needle, params, Text())) > 0,
        )
        .exists(),
    )
