"""The layering of docs/architecture.md, checked on the source: imports go down only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mlte_store

PACKAGE = Path(mlte_store.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str) -> set[str]:
    """Every module `module` imports (at any depth of its code), as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return found


def _internal_imports(module: str) -> set[str]:
    return {name for name in _imports(module) if name in MODULES} - {"mlte_store", module}


DOMAIN = [
    "mlte_store.models",
    "mlte_store.bodies",
    "mlte_store.query",
    "mlte_store.casefold",
    "mlte_store.errors",
    "mlte_store.accounts",
    "mlte_store._version",
]
BUILDERS = [
    "mlte_store.db.statements",
    "mlte_store.db.revision_statements",
    "mlte_store.db.rows",
    "mlte_store.db.filters",
    "mlte_store.db.search_statements",
]
OPERATIONS = [
    "mlte_store.db.parents",
    "mlte_store.db.artifacts",
    "mlte_store.db.revisions",
    "mlte_store.db.search",
    "mlte_store.db.users",
]


@pytest.mark.parametrize("module", [*DOMAIN, "mlte_store.inputs"])
def test_the_domain_and_the_input_checks_know_no_sql(module: str) -> None:
    imported = _imports(module)
    assert not {name for name in imported if name.split(".")[0] == "sqlalchemy"}
    assert not {name for name in imported if name.startswith("mlte_store.db")}


@pytest.mark.parametrize("module", [name for name in MODULES if name.startswith("mlte_store.db")])
def test_internals_never_import_the_layers_above_them(module: str) -> None:
    above = (
        "mlte_store.repository",
        "mlte_store.users",
        "mlte_store.server",
        "mlte_store.transfer",
        "mlte_store.cli",
        "mlte_store.inputs",
    )
    assert not {name for name in _internal_imports(module) if name.startswith(above)}


@pytest.mark.parametrize("module", BUILDERS)
def test_statement_builders_never_import_the_operations_or_the_connection(module: str) -> None:
    forbidden = {*OPERATIONS, "mlte_store.db.connection"}
    assert not _internal_imports(module) & forbidden


def _calls(module: str, attribute: str) -> bool:
    """Whether the module's code calls `<something>.<attribute>(...)`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == attribute
        for node in ast.walk(tree)
    )


#: The facades: ArtifactRepository (with the base class holding its history calls) and
#: UserStore.
FACADES = {"mlte_store.repository", "mlte_store.repository_history", "mlte_store.users"}


def test_only_the_facades_open_transactions() -> None:
    assert {name for name in MODULES if _calls(name, "transaction")} == FACADES


def test_the_server_uses_only_the_public_api() -> None:
    server = [name for name in MODULES if name.startswith("mlte_store.server")]
    internals = ("mlte_store.db", "mlte_store.tables", "mlte_store.inputs", "mlte_store.cli")
    assert {
        name: sorted(i for i in _internal_imports(name) if i.startswith(internals))
        for name in server
    } == {name: [] for name in server}


def test_no_module_outside_the_command_line_imports_it() -> None:
    outside = [name for name in MODULES if not name.startswith("mlte_store.cli")]
    assert not [
        name
        for name in outside
        if any(i.startswith("mlte_store.cli") for i in _internal_imports(name))
    ]


def test_there_is_no_import_cycle() -> None:
    graph = {name: _internal_imports(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_no_module_is_over_500_lines() -> None:
    lengths = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in lengths.items() if n > 500} == {}
