"""Run every mutant that survived `make mutation` again, against a whole test selection.

mutmut runs each mutant only against the tests it saw calling the mutated function.
The store builds its SQL statements once and caches them, so most tests never call the
builders: a mutant of a statement builder is then tried against too few tests and may
"survive" a suite that does kill it. This script re-runs each survivor (from
`mutmut results`) against the SQLite suite with mutmut's own pytest arguments, or
against the selection given on the command line, and prints what each one did.

    .venv/bin/python tools/mutation_recheck.py                  # the SQLite suite
    .venv/bin/python tools/mutation_recheck.py -k postgresql    # the PostgreSQL tests
    .venv/bin/python tools/mutation_recheck.py --only 'mlte_store.query.*' tests/test_search.py
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def survivors() -> list[str]:
    listing = subprocess.run(
        [BIN / "mutmut", "results"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"^\s*(\S+): survived$", listing, re.MULTILINE)


def mutmut_pytest_args() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return list(config["tool"]["mutmut"]["pytest_add_cli_args"])


def killed(mutant: str, args: list[str]) -> bool | None:
    """True if a test failed, False if all passed, None if pytest could not run."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", *args],
        cwd=ROOT / "mutants",
        env={**os.environ, "MUTANT_UNDER_TEST": mutant},
        capture_output=True,
        text=True,
    )
    return {0: False, 1: True}.get(done.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="*", help="glob of mutant names to re-run")
    options, pytest_args = parser.parse_known_args()
    args = pytest_args or mutmut_pytest_args()
    names = [m for m in survivors() if fnmatch.fnmatchcase(m, options.only)]
    outcome = {True: "killed", False: "survived", None: "error"}
    for name in names:
        print(f"{outcome[killed(name, args)]:8} {name}", flush=True)


if __name__ == "__main__":
    main()
