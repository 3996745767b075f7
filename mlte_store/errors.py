"""The library's error hierarchy: one root, a few specific kinds.

Every error a caller can see from `mlte_store` derives from `ErrorStore`;
database driver errors are translated into these, with the driver error kept
as `__cause__`.
"""

from __future__ import annotations


class ErrorStore(Exception):
    """Root of every error raised by mlte_store."""


class ErrorNotFound(ErrorStore):
    """A model, version or artifact that the call needs does not exist."""


class ErrorAlreadyExists(ErrorStore):
    """A model, version or artifact with that identifier already exists."""


class ErrorInvalidInput(ErrorStore, ValueError):
    """Input was refused before anything was written (bad identifier, body, paging...)."""


class ErrorSchema(ErrorStore):
    """The database schema is missing or not at the revision this code expects."""


class ErrorDatabase(ErrorStore):
    """The database failed in a way the library cannot attribute to the input.

    Typical causes: the connection was lost, the server restarted, or the
    database refused the statement. The call had no effect (its transaction
    was rolled back); retrying is safe.
    """


class UnicodeVersionWarning(UserWarning):
    """The store's search documents were folded with another Unicode version than this
    Python's: searches may not match as `Filter.match()` does until `mlte-store reindex`."""


def describe(model_id: str, version_id: str | None = None, artifact_id: str | None = None) -> str:
    """Name the model / version / artifact an error is about, quoted unambiguously."""
    parts = [f"model {model_id!r}"]
    if version_id is not None:
        parts.append(f"version {version_id!r}")
    if artifact_id is not None:
        parts.append(f"artifact {artifact_id!r}")
    return ", ".join(parts)
