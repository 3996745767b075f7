"""MkDocs hook: the command-line reference is generated from `mlte-store` itself.

`docs/cli-reference.md` holds a marker; at build time it is replaced by the Markdown
that typer's own documentation generator (`typer ... utils docs`) makes from the click
commands behind `mlte-store`: every command, its arguments and options with their help,
defaults and environment variables. So the page cannot drift from `--help`.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.cli import MARKUP_MODE_KEY, get_docs_for_click

from mlte_store.cli import app

MARKER = "<!-- mlte-store commands -->"


def reference() -> str:
    """Markdown for every `mlte-store` command, its headings one level below the page's."""
    command = typer.main.get_command(app)
    context = typer.Context(command, info_name="mlte-store")
    context.obj = {MARKUP_MODE_KEY: app.rich_markup_mode}
    return get_docs_for_click(obj=command, ctx=context, name="mlte-store", indent=1)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker, on whichever page holds it, by the generated reference."""
    return markdown.replace(MARKER, reference()) if MARKER in markdown else markdown
