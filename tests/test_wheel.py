"""The release: `make dist`'s sdist carries what a packager needs and nothing of a working
tree, and the wheel built from it works on its own in a fresh virtual environment.

The release is built the way `make dist` builds it (`python -m build`: the sdist, then the
wheel from the unpacked sdist), from a copy of this tree into which the litter of a
working tree (databases, caches, a virtual environment, a built site) has been put, so
the exclusions are tested and not only the tidy case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import mlte_store

ROOT = Path(__file__).resolve().parent.parent

#: Never copied into the build tree: too big, or the build's own output.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "mutants", "site", "dist", "build")

#: What a working tree holds that no release may carry, put into the copy before building.
LITTER = [
    "mlte_store.db",
    "mlte_store.db-wal",
    "benchmarks/bench.db",
    "tests/__pycache__/conftest.cpython-311.pyc",
    "mlte_store/__pycache__/models.cpython-311.pyc",
    ".venv/pyvenv.cfg",
    ".pytest_cache/README.md",
    ".mypy_cache/3.11/cache.db",
    ".ruff_cache/CACHEDIR.TAG",
    ".hypothesis/examples/x",
    "site/index.html",
    "mutants/mlte_store/models.py",
]

#: Members the sdist must have (paths inside its top folder).
REQUIRED = [
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "pyproject.toml",
    "mkdocs.yml",
    "alembic.ini",
    "Makefile",
    "mlte_store/__init__.py",
    "mlte_store/_version.py",
    "migrations/env.py",
    "migrations/versions/20261127_0001_initial_schema.py",
    "tests/conftest.py",
    "tests/test_wheel.py",
    "benchmarks/workload.py",
    "docs/index.md",
    "docs/contract.md",
    "docs/hooks/cli_reference.py",
]

#: No member's path may contain one of these parts, or end with one of these suffixes.
FORBIDDEN_PARTS = {
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "site",
    "mutants",
    "dist",
    "build",
}
FORBIDDEN_SUFFIXES = (".db", ".db-wal", ".db-shm", ".pyc")


@dataclass(frozen=True)
class Release:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The sdist and the wheel, built as `make dist` builds them from a littered tree."""
    base = tmp_path_factory.mktemp("release")
    tree = base / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_COPIED)
    for name in LITTER:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("litter\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(tree)],
        check=True,
        capture_output=True,
    )
    (sdist,) = (base / "dist").glob("mlte_store-*.tar.gz")
    (wheel,) = (base / "dist").glob("mlte_store-*.whl")
    return Release(sdist, wheel)


@pytest.fixture(scope="session")
def installed_wheel(release: Release) -> Path:
    """A fresh virtual environment with only the built wheel (and its dependencies)."""
    env_dir = release.wheel.parent.parent / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run(
        [env_dir / "bin" / "python", "-m", "pip", "install", "-q", str(release.wheel)],
        check=True,
        capture_output=True,
    )
    return env_dir


def sdist_members(sdist: Path) -> list[str]:
    """The sdist's file paths, without its top folder (`mlte_store-VERSION/`)."""
    with tarfile.open(sdist) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    top = f"mlte_store-{mlte_store.__version__}/"
    assert all(name.startswith(top) for name in names), names[:5]
    return [name.removeprefix(top) for name in names]


@pytest.mark.slow
def test_the_release_is_named_after_the_one_version_number(release: Release) -> None:
    version = mlte_store.__version__
    assert release.sdist.name == f"mlte_store-{version}.tar.gz"
    assert release.wheel.name == f"mlte_store-{version}-py3-none-any.whl"


@pytest.mark.slow
def test_the_sdist_carries_what_a_packager_needs_and_no_working_tree(release: Release) -> None:
    members = sdist_members(release.sdist)
    assert [name for name in REQUIRED if name not in members] == []
    litter = [
        name
        for name in members
        if FORBIDDEN_PARTS & set(Path(name).parts) or name.endswith(FORBIDDEN_SUFFIXES)
    ]
    assert litter == []
    # Every migration and every test module of this tree ships.
    for folder in ("migrations/versions", "tests"):
        shipped = {name for name in members if name.startswith(f"{folder}/")}
        expected = {path.relative_to(ROOT).as_posix() for path in (ROOT / folder).glob("*.py")}
        assert expected <= shipped, expected - shipped


@pytest.mark.slow
def test_twine_accepts_the_release(release: Release) -> None:
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            str(release.sdist),
            str(release.wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout


@pytest.mark.slow
def test_the_installed_wheel_says_its_version(installed_wheel: Path, tmp_path: Path) -> None:
    shown = subprocess.run(
        [installed_wheel / "bin" / "mlte-store", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"mlte-store {mlte_store.__version__}\n"


@pytest.mark.slow
def test_installed_wheel_migrates_and_round_trips(
    installed_wheel: Path, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    env_dir = installed_wheel
    work = tmp_path / "elsewhere"
    work.mkdir()
    url = empty_url_factory()

    def cli(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [env_dir / "bin" / "mlte-store", *args, "--url", url],
            cwd=work,
            input=stdin,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    cli("db", "upgrade")
    assert "(head)" in cli("db", "current")
    artifact = {
        "header": {"identifier": "eval/acc", "type": "evidence", "timestamp": 7},
        "body": {"artifact_type": "evidence", "value": 0.93, "note": "grüße"},
    }
    cli("artifacts", "put", "flowers", "v1", "-", "--parents", stdin=json.dumps(artifact))
    read = json.loads(cli("artifacts", "get", "flowers", "v1", "eval/acc", "--json"))
    assert read["body"] == artifact["body"]
    assert {key: read["header"][key] for key in ("identifier", "type", "timestamp")} == (
        artifact["header"]
    )
    located = subprocess.run(
        [
            env_dir / "bin" / "python",
            "-c",
            "import mlte_store.migrate as m; print(m.migrations_dir())",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in located.stdout  # the wheel's copy, not the checkout's
