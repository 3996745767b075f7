"""A CLI runner under which a crash fails the test instead of passing as exit code 1.

Typer's runner turns an uncaught exception into exit code 1 with no traceback in the
output: a crash then looks exactly like the documented "not found" exit. This runner
lets the exception propagate, so only deliberate exits (`typer.Exit`, SystemExit)
produce an exit code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from typer import Typer
from typer.testing import CliRunner, Result


class StrictRunner(CliRunner):
    """`CliRunner` that never swallows an exception raised by the command."""

    def invoke(  # type: ignore[override]
        self,
        app: Typer,
        args: str | Sequence[str] | None = None,
        input: bytes | str | None = None,
        env: Mapping[str, str | None] | None = None,
        **extra: Any,
    ) -> Result:
        extra["catch_exceptions"] = False
        return super().invoke(app, args, input=input, env=env, **extra)


runner = StrictRunner()
