"""The one case-insensitive matching rule shared by Python and SQL evaluation.

Databases lower-case text differently (SQLite's `lower()` and `LIKE` fold only
ASCII; PostgreSQL's depend on the collation and ICU/libc version), so the
store never asks them to. Instead every text value is folded here, in Python,
with `str.casefold()` (Unicode full case folding, the Unicode standard's rule
for caseless matching): filter values when a query runs, and the stored
artifact's strings when it is written (into the artifact's search document).
SQL then only tests plain substring containment on already-folded text, so SQL
and `Filter.match()` agree on every input by construction.
"""

from __future__ import annotations

import unicodedata
from typing import Any

#: The Unicode version of this Python's tables, which `fold` uses. Each artifact row
#: records the version its search document was folded with (`folded_with`); a store
#: folded with another version is re-folded by `ArtifactRepository.reindex`.
UNICODE_VERSION: str = unicodedata.unidata_version

#: Prefix of every object key in a search document. It keeps keys that look
#: like integers ("0", "-1") from being read as list indexes by PostgreSQL's
#: `#>` operator: a path segment only ever names an object key.
KEY_PREFIX = "k"

# Characters that JSON escapes in a key; SQLite's JSON path syntax cannot name
# a key holding them, so they are percent-encoded (with "%" itself) instead.
_KEY_ESCAPES = {"%": "%25", '"': "%22", "\\": "%5C"}
_KEY_ESCAPES.update({chr(c): f"%{c:02X}" for c in range(0x20)})
_KEY_TABLE = str.maketrans(_KEY_ESCAPES)


def fold(text: str) -> str:
    """Fold text for case-insensitive comparison (Unicode full case folding)."""
    return text.casefold()


def encode_key(key: str) -> str:
    """Encode one object key (or path segment) as it appears in a search document."""
    return KEY_PREFIX + key.translate(_KEY_TABLE)


def search_document(value: Any) -> Any:
    """The JSON value with every string folded and every object key encoded.

    The shape (objects, lists, numbers, booleans, nulls) is unchanged, so a
    path leads to the same kind of value in the search document as in the
    artifact itself.
    """
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, dict):
        return {encode_key(k): search_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [search_document(v) for v in value]
    return value
