"""What the server reads from the installed `mlte` package: built-in custom lists, the web UI.

The package (extra `mlte_store[ui]`) is found by importlib's finder and read as
files: nothing of it is imported or run here. Without it the custom lists are
empty and there is no UI to serve.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

#: MLTE 2.7.0's custom lists, and the list each one's entries name as their parent.
MLTE_LISTS = ("classification", "problem_types", "tags", "qa_categories", "quality_attributes")
LIST_PARENTS = {"quality_attributes": "qa_categories"}

#: Where the built UI and the built-in list entries sit inside the package.
UI_FOLDER = ("frontend", "nuxt-app", ".output", "public")
LISTS_FOLDER = ("store", "custom_list")


@cache
def package_folder() -> Path | None:
    """The installed `mlte` package's folder, or None (found without importing it)."""
    try:
        spec = importlib.util.find_spec("mlte")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def ui_folder() -> Path | None:
    """The folder of MLTE's built web UI (its `index.html`), or None if it is not installed."""
    package = package_folder()
    folder = None if package is None else package.joinpath(*UI_FOLDER)
    return folder if folder is not None and (folder / "index.html").is_file() else None


@cache
def custom_list(name: str) -> tuple[dict[str, Any], ...]:
    """MLTE's built-in entries of list `name` (`name`, `description`, `parent`), by name.

    Empty when the package is absent. `name` must be one of MLTE_LISTS.
    """
    if name not in MLTE_LISTS:
        raise ValueError(f"not one of MLTE's custom lists: {name!r}")
    package = package_folder()
    if package is None:
        return ()
    entries = []
    for path in sorted(package.joinpath(*LISTS_FOLDER, name).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        entries.append(
            {
                "name": str(data["name"]),
                "description": str(data.get("description", "")),
                "parent": data.get("parent"),
            }
        )
    return tuple(sorted(entries, key=lambda entry: entry["name"]))
