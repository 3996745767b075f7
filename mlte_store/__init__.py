"""mlte_store: MLTE's artifacts in PostgreSQL or SQLite, with Alembic-managed schema."""

from mlte_store._version import __version__ as __version__
from mlte_store.accounts import Permission, Role, User
from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
    ErrorStore,
)
from mlte_store.models import (
    MAX_IDENTIFIER_LENGTH,
    Artifact,
    ArtifactHeader,
    ArtifactLevel,
    ArtifactRevision,
    ArtifactType,
    DigestMismatch,
    Model,
    Version,
    body_digest,
)
from mlte_store.query import (
    AllFilter,
    AndFilter,
    IdentifierFilter,
    NoneFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)
from mlte_store.repository import MAX_PAGE_SIZE, ArtifactRepository
from mlte_store.users import UserStore

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "MAX_PAGE_SIZE",
    "AllFilter",
    "AndFilter",
    "Artifact",
    "ArtifactHeader",
    "ArtifactLevel",
    "ArtifactRepository",
    "ArtifactRevision",
    "ArtifactType",
    "DigestMismatch",
    "ErrorAlreadyExists",
    "ErrorDatabase",
    "ErrorInvalidInput",
    "ErrorNotFound",
    "ErrorSchema",
    "ErrorStore",
    "IdentifierFilter",
    "Model",
    "NoneFilter",
    "OrFilter",
    "Permission",
    "PropertyFilter",
    "Query",
    "Role",
    "TagFilter",
    "TypeFilter",
    "User",
    "UserStore",
    "Version",
    "body_digest",
]
