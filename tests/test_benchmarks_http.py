"""Smoke test of the HTTP benchmark (`benchmarks/http.py`), so it cannot rot silently.

Our server only (MLTE's backend takes minutes to fill), a tiny N and one
concurrency level: every answer is 200 and every row of the report exists.
No timing is asserted: speed is measured by `make bench-http`, never tested.
"""

from __future__ import annotations

import pytest

from benchmarks import http_report
from benchmarks.http import OPS, Runner, Settings


@pytest.fixture
def scratch_backend(backend: str, request: pytest.FixtureRequest) -> str:
    """The backend; PostgreSQL skips (or fails in CI) like every test when unreachable."""
    if backend == "postgresql":
        request.getfixturevalue("postgres_server")
    return backend


def test_http_benchmark_answers_and_reports(scratch_backend: str) -> None:
    settings = Settings(
        n=12,
        backends=(scratch_backend,),
        concurrency=(2,),
        budget_s=1.0,
        max_requests=6,
        peer=False,
        direct_calls=3,
    )
    result = Runner(settings, log=False).run(scratch_backend)

    assert set(result.cells) == {(op, 2, "ours") for op in OPS}
    for (op, _, _), cell in result.cells.items():
        assert cell.latencies, op
        assert set(cell.statuses) == {200}, (op, cell.statuses)
    assert result.cells["search: Identifier", 2, "ours"].items == 1
    written = result.cells["write", 2, "ours"].statuses[200]  # the writes come first
    assert result.cells["page of 100", 2, "ours"].items == 12 + written
    assert result.http_over_direct is not None

    section = http_report.markdown([result], settings, 0.0, 60.0, "0", "0")
    for op in OPS:
        assert f"| {op} | 2 |" in section
    assert "our HTTP / direct call" in section


def test_http_section_replaces_only_itself() -> None:
    marker = http_report.NOTES_MARKER + " -->"
    section = f"{http_report.BEGIN}\nnew\n{http_report.END}"
    fresh = http_report.replace_section(f"# Results\n\ntables\n\n{marker}\nnotes\n", section)
    assert fresh == f"# Results\n\ntables\n\n{marker}\n\n{section}\n\nnotes\n"
    again = http_report.replace_section(fresh, section.replace("new", "newer"))
    assert again == fresh.replace("\nnew\n", "\nnewer\n")
