"""The HTTP server: MLTE's backend API for models, versions and artifacts over the store.

Installed with the `server` extra. A client of the library's public API like
any other: `ArtifactRepository` for the artifacts, `UserStore` for users and
grants; no SQL here.
"""

from mlte_store.server.app import create_app, create_app_from_env
from mlte_store.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "create_app_from_env"]
