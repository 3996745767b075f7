"""The one version number of mlte_store, read by the build and by `mlte-store --version`."""

__version__ = "0.1.0"
