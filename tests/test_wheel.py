"""The built wheel carries the migrations: a user of the wheel, not the checkout, can migrate."""

from __future__ import annotations

import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the built wheel (and its dependencies)."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(base / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next((base / "dist").glob("mlte_store-*.whl"))
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run(
        [env_dir / "bin" / "python", "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return env_dir


@pytest.mark.slow
def test_installed_wheel_runs_db_upgrade(
    installed_wheel: Path, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    env_dir = installed_wheel
    python = env_dir / "bin" / "python"
    work = tmp_path / "elsewhere"
    work.mkdir()
    url = empty_url_factory()
    upgraded = subprocess.run(
        [env_dir / "bin" / "mlte-store", "db", "upgrade", "--url", url],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run(
        [env_dir / "bin" / "mlte-store", "db", "current", "--url", url],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert "(head)" in current.stdout
    located = subprocess.run(
        [python, "-c", "import mlte_store.migrate as m; print(m.migrations_dir())"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in located.stdout  # the wheel's copy, not the checkout's
