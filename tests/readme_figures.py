"""The figures the README states about the guarantee tests, read from the README itself.

Each guarantee test asserts its own figures against these, so the README cannot drift
from what the tests measure: change a test's workload and the README must change too.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_figures(pattern: str) -> tuple[int, ...]:
    """The numbers captured by `pattern` in its one match in the README (whitespace
    normalised, thousands separators allowed)."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    matches = list(re.finditer(pattern, text))
    assert len(matches) == 1, f"the README states {pattern!r} {len(matches)} times, not once"
    return tuple(int(group.replace(",", "")) for group in matches[0].groups())
