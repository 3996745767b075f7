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
    heading of the same or a higher level (lines inside fenced code are not headings)."""
    lines = text.splitlines(keepends=True)
    headings: list[tuple[int, int, str]] = []  # (line, level, title)
    fenced = False
    for number, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (found := re.match(r"(#+) (.*)\n?$", line)):
            headings.append((number, len(found.group(1)), found.group(2)))
    matching = [heading for heading in headings if heading[2] == title]
    assert len(matching) == 1, f"{len(matching)} headings {title!r}, not one"
    start, level, _ = matching[0]
    end = next((n for n, lv, _ in headings if n > start and lv <= level), len(lines))
    return "".join(lines[start:end])


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
