"""Compile query filters to SQL boolean expressions, per dialect.

Property and Tag filters run against the artifact's search document
(`ArtifactRow.search`, see `casefold`): the path is encoded the way the
document's keys are, the value is case-folded in Python, and the database only
tests plain substring containment (`strpos` / `instr`, never `LIKE`, so `%`
and `_` match literally). Paths and values are always bound parameters.
"""

from __future__ import annotations

from typing import Any, assert_never, cast

from sqlalchemy import (
    ColumnElement,
    Table,
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
from mlte_store.tables import ArtifactRow

_ARTIFACT = cast(Table, ArtifactRow.__table__)
_DOCUMENT = _ARTIFACT.c.search


def compile_filter(filter: Filter, dialect: str) -> ColumnElement[bool]:
    """The SQL condition selecting exactly the artifacts `filter.match()` accepts."""
    match filter:
        case AllFilter():
            return true()
        case NoneFilter():
            return false()
        case IdentifierFilter():
            return _ARTIFACT.c.identifier == filter.id
        case TypeFilter():
            return _ARTIFACT.c.type == filter.item_type.value
        case PropertyFilter():
            return _text_contains(filter.name, fold(filter.property), dialect)
        case TagFilter():
            return _list_has_text_containing(filter.name, fold(filter.tag), dialect)
        case AndFilter():
            return and_(true(), *(compile_filter(f, dialect) for f in filter.filters))
        case OrFilter():
            return or_(false(), *(compile_filter(f, dialect) for f in filter.filters))
        case _:
            assert_never(filter)


def _encoded_path(name: str) -> list[str]:
    return [encode_key(key) for key in split_path(name)]


def _sqlite_path(name: str) -> str:
    # Encoded keys never hold '"' or '\', so quoting each one is always a valid path.
    return "$" + "".join(f'."{key}"' for key in _encoded_path(name))


def _postgres_value_at(name: str) -> ColumnElement[Any]:
    path = bindparam(None, _encoded_path(name), type_=ARRAY(Text))
    return _DOCUMENT.op("#>", return_type=JSONB)(path)


def _text_contains(name: str, needle: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        value = _postgres_value_at(name)
        text = value.op("#>>", return_type=Text)(bindparam(None, [], type_=ARRAY(Text)))
        return and_(func.jsonb_typeof(value) == "string", func.strpos(text, needle) > 0)
    path = _sqlite_path(name)
    return and_(
        func.json_type(_DOCUMENT, path) == "text",
        func.instr(func.json_extract(_DOCUMENT, path), needle) > 0,
    )


def _list_has_text_containing(name: str, needle: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        value = _postgres_value_at(name)
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
                func.strpos(element_text, needle) > 0,
            )
            .exists()
        )
    path = _sqlite_path(name)
    element = func.json_each(_DOCUMENT, path).table_valued("type", "value")
    return and_(
        func.json_type(_DOCUMENT, path) == "array",
        select(1)
        .select_from(element)
        .where(element.c.type == "text", func.instr(element.c.value, needle) > 0)
        .exists(),
    )
