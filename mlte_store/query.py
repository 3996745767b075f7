"""MLTE's query language: filters, their JSON, and their evaluation in Python.

The SQL evaluation of the same filters lives in `db.filters`; both use the
case-folding rule of `casefold`, so they agree on every input.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mlte_store.casefold import fold
from mlte_store.models import Artifact, ArtifactType, check_text

_MISSING = object()

#: A filter's text (path or value): no NUL, no lone surrogate. No stored text holds
#: either, and neither driver can send them, so they are refused, not searched for.
FilterText = Annotated[str, AfterValidator(lambda value: check_text(value, "filter text"))]


class FilterType(str, Enum):
    """The `type` tag of each filter in MLTE's JSON."""

    ALL = "all"
    NONE = "none"
    IDENTIFIER = "identifier"
    TYPE = "type"
    PROPERTY = "property"
    TAG = "tag"
    AND = "and"
    OR = "or"


def split_path(name: str) -> list[str]:
    """A dotted path as its object keys: `body.system.goals` -> body, system, goals."""
    return name.split(".")


def value_at(document: Any, name: str) -> Any:
    """The value at a dotted path of object keys, or `_MISSING` if the path leads nowhere."""
    value = document
    for key in split_path(name):
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


class _Filter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AllFilter(_Filter):
    """Matches every artifact."""

    type: Literal[FilterType.ALL] = FilterType.ALL

    def match(self, artifact: Artifact) -> bool:
        """Always true."""
        return True


class NoneFilter(_Filter):
    """Matches no artifact."""

    type: Literal[FilterType.NONE] = FilterType.NONE

    def match(self, artifact: Artifact) -> bool:
        """Always false."""
        return False


class IdentifierFilter(_Filter):
    """Matches the artifact whose header.identifier equals `id`."""

    type: Literal[FilterType.IDENTIFIER] = FilterType.IDENTIFIER
    id: FilterText

    def match(self, artifact: Artifact) -> bool:
        """Whether `header.identifier` equals `id`."""
        return artifact.header.identifier == self.id


class TypeFilter(_Filter):
    """Matches artifacts whose header.type equals `item_type`."""

    type: Literal[FilterType.TYPE] = FilterType.TYPE
    item_type: ArtifactType

    def match(self, artifact: Artifact) -> bool:
        """Whether `header.type` equals `item_type`."""
        return artifact.header.type == self.item_type


class PropertyFilter(_Filter):
    """Matches when the text at path `name` contains `property`, case-insensitively."""

    type: Literal[FilterType.PROPERTY] = FilterType.PROPERTY
    name: FilterText
    property: FilterText

    def match(self, artifact: Artifact) -> bool:
        """Whether the text at path `name` contains `property`, case-folded."""
        value = value_at(artifact.to_json(), self.name)
        return isinstance(value, str) and fold(self.property) in fold(value)


class TagFilter(_Filter):
    """Matches when the list at path `name` has a text element containing `tag`,
    case-insensitively."""

    type: Literal[FilterType.TAG] = FilterType.TAG
    name: FilterText
    tag: FilterText

    def match(self, artifact: Artifact) -> bool:
        """Whether the list at path `name` has a text element containing `tag`, case-folded."""
        value = value_at(artifact.to_json(), self.name)
        if not isinstance(value, list):
            return False
        needle = fold(self.tag)
        return any(isinstance(item, str) and needle in fold(item) for item in value)


class AndFilter(_Filter):
    """Matches when every nested filter matches (so an empty list matches everything)."""

    type: Literal[FilterType.AND] = FilterType.AND
    filters: list[Filter]

    def match(self, artifact: Artifact) -> bool:
        """Whether every nested filter matches (true for none)."""
        return all(f.match(artifact) for f in self.filters)


class OrFilter(_Filter):
    """Matches when any nested filter matches (so an empty list matches nothing)."""

    type: Literal[FilterType.OR] = FilterType.OR
    filters: list[Filter]

    def match(self, artifact: Artifact) -> bool:
        """Whether any nested filter matches (false for none)."""
        return any(f.match(artifact) for f in self.filters)


Filter = Annotated[
    AllFilter
    | NoneFilter
    | IdentifierFilter
    | TypeFilter
    | PropertyFilter
    | TagFilter
    | AndFilter
    | OrFilter,
    Field(discriminator="type"),
]

AndFilter.model_rebuild()
OrFilter.model_rebuild()


class Query(BaseModel):
    """A query over artifacts: `{"filter": {...}}` in MLTE's JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filter: Filter = Field(default_factory=AllFilter)

    def match(self, artifact: Artifact) -> bool:
        """Whether the artifact satisfies the query, evaluated in Python."""
        return self.filter.match(artifact)
