"""Text, snippets and figures read from the documentation pages (`docs/*.md`) and the README.

The tests that hold the documentation to the code read it through here: the guarantee
tests assert the figures the Guarantees page states, the walk-throughs run the pages'
shell and Python blocks as written, the privilege test runs the documented GRANTs. Move
a text to another page and only the page named at the call changes.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def page(name: str) -> str:
    """The Markdown of `docs/NAME` (or of the README for `README.md`)."""
    return (README if name == "README.md" else DOCS / name).read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The section of `text` under the one heading `title` (any level), up to the next
    heading of the same or a higher level."""
    found = list(re.finditer(rf"^(#+) {re.escape(title)}\n", text, re.MULTILINE))
    assert len(found) == 1, f"{len(found)} headings {title!r}, not one"
    level = len(found[0].group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, found[0].end())
    return text[found[0].start() : end.start() if end else len(text)]


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of one language in `text`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def figures(name: str, pattern: str) -> tuple[int, ...]:
    """The numbers captured by `pattern` in its one match on page `name` (whitespace
    normalised, thousands separators allowed)."""
    text = " ".join(page(name).split())
    matches = list(re.finditer(pattern, text))
    assert len(matches) == 1, f"{name} states {pattern!r} {len(matches)} times, not once"
    return tuple(int(group.replace(",", "")) for group in matches[0].groups())
