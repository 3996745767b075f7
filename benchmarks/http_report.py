"""The HTTP benchmark's markdown: one section of RESULTS.md, between its marker comments."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.http import Cell, Result, Settings

BEGIN, END = "<!-- http:begin -->", "<!-- http:end -->"
#: The library benchmark keeps what follows this line when it rewrites RESULTS.md.
NOTES_MARKER = "<!-- Hand-written notes below this line are kept"
OURS, PEER = "ours", "MLTE"

#: The issue's targets at concurrency 8: our requests/s over MLTE's backend's.
TARGETS = {
    "write": 10.0,
    "read": 10.0,
    "page of 100": 100.0,
    "search: Identifier": 100.0,
    "search: Type": 100.0,
    "search: Property": 100.0,
}
TARGET_CONCURRENCY = 8
DIRECT_TARGET = 3.0


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.0f} s"


def _side(cell: Cell | None) -> tuple[str, str, str]:
    if cell is None or not cell.latencies:
        return ("–", "–", "–")
    return (f"{cell.per_s:,.1f}", _ms(cell.quantile(0.5)), _ms(cell.quantile(0.99)))


def _answers(cell: Cell | None) -> str:
    """Statuses (and artifacts per answer for pages and searches), e.g. `200 ×812; 20 each`."""
    if cell is None:
        return "–"
    text = ", ".join(f"{status} ×{count}" for status, count in sorted(cell.statuses.items()))
    return text if cell.items is None else f"{text}; {cell.items} artifacts"


def _ratio(result: Result, op: str, level: int) -> str | None:
    """Our successful requests/s over the peer's; for a skipped peer block, a lower bound
    from the peer at concurrency 1: one process on 2 cores serves at most twice that."""
    ours = result.cells.get((op, level, OURS))
    peer = result.cells.get((op, level, PEER))
    if ours is None or not ours.per_s:
        return None
    if peer is None and (op, level) in result.skipped:
        single = result.cells.get((op, 1, PEER))
        if single is None or not single.per_s:
            return None
        return f"≥ {ours.per_s / (2 * single.per_s):,.0f}× (bound)"
    if peer is None or not peer.per_s:
        return None
    return f"{ours.per_s / peer.per_s:,.1f}×"


def _value(ratio: str | None) -> float:
    return float(ratio.split("×")[0].lstrip("≥ ").replace(",", "")) if ratio else 0.0


def _rows(result: Result, settings: Settings) -> Iterator[str]:
    from benchmarks.http import OPS

    for op in OPS:
        for level in settings.concurrency:
            ours = result.cells.get((op, level, OURS))
            peer = result.cells.get((op, level, PEER))
            skipped = result.skipped.get((op, level))
            peer_side = _side(peer) if skipped is None else (f"skipped (~{skipped:.0f} s)", "", "")
            ratio = _ratio(result, op, level)
            yield (
                "| "
                + " | ".join(
                    (
                        op,
                        str(level),
                        *_side(ours),
                        *peer_side,
                        ratio or "–",
                        _answers(ours),
                        _answers(peer),
                    )
                )
                + " |"
            )


def _targets(results: list[Result], settings: Settings) -> Iterator[str]:
    yield (
        f"| target (concurrency {TARGET_CONCURRENCY}) | "
        + " | ".join(r.backend for r in results)
        + " |"
    )
    yield "| --- |" + " --- |" * len(results)
    for op, target in TARGETS.items():
        cells = []
        for r in results:
            ratio = _ratio(r, op, TARGET_CONCURRENCY)
            peer = r.cells.get((op, TARGET_CONCURRENCY, PEER))
            if ratio is None:
                cells.append("peer failed" if peer is not None and peer.failures else "–")
            else:
                cells.append(f"{ratio} ({'met' if _value(ratio) >= target else 'missed'})")
        yield f"| {op}: ours / MLTE requests/s ≥ {target:g}× | " + " | ".join(cells) + " |"
    cells = []
    for r in results:
        ratio = r.http_over_direct
        if ratio is None:
            cells.append("–")
            continue
        http, direct = statistics.median(r.http_read), statistics.median(r.direct_read)
        verdict = "met" if ratio <= DIRECT_TARGET else "missed"
        cells.append(f"{ratio:.1f}× ({_ms(http)} / {_ms(direct)}, {verdict})")
    yield (
        f"| read, concurrency 1: our HTTP / direct call ≤ {DIRECT_TARGET:g}× | "
        + " | ".join(cells)
        + " |"
    )


def markdown(
    results: list[Result],
    settings: Settings,
    started: float,
    finished: float,
    load_before: str,
    load_after: str,
) -> str:
    """The section, markers included."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    lines = [
        BEGIN,
        f"## HTTP throughput, N = {settings.n:,}",
        "",
        f"Written by `make bench-http` (`python -m benchmarks.http`) on {when}; the run took "
        f"{(finished - started) / 60:.0f} minutes. Load average before: {load_before}; "
        f"after: {load_after}.",
        "",
        "*ours*: `mlte-store serve --workers 2`; *MLTE*: MLTE 2.7.0's `mlte backend` (one "
        "process, as it ships) on its relational store, on the same database server. "
        f"Blocks of at most {settings.max_requests:,} requests or {settings.budget_s:g} s "
        "(requests in flight then finish), ours and MLTE's alternating; requests/s: "
        "answers 200 per second of the block's wall time; p50 and p99 per request. A "
        "block of the peer is skipped when clients × its mean time at concurrency 1 "
        f"exceeds {settings.peer_block_limit_s:g} s; its ratio is then a bound (one "
        "process on 2 cores serves at most twice its concurrency-1 rate). "
        "*answers*: HTTP statuses, and the artifacts in one answer of a page or search.",
        "",
    ]
    for r in results:
        fill = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in r.fill_per_s.items())
        lines += [
            f"### {r.backend}",
            "",
            f"Fill: {r.n:,} artifacts ({fill}): ours one POST each from 8 clients, MLTE's "
            "through its store library (see the notes).",
            "",
            "| operation | clients | ours req/s | ours p50 | ours p99 | MLTE req/s | MLTE p50 "
            "| MLTE p99 | ours / MLTE | ours answers | MLTE answers |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *_rows(r, settings),
            "",
        ]
    lines += ["### Targets (issue 11)", "", *_targets(results, settings), "", END]
    return "\n".join(lines)


def replace_section(text: str, section: str) -> str:
    """`text` with its HTTP section replaced by `section`; if it has none, the section goes
    right after the notes marker (kept when the library benchmark rewrites the file), or at
    the end."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin != -1 and end > begin:
        return text[:begin] + section + text[end + len(END) :]
    marker = text.find(NOTES_MARKER)
    if marker == -1:
        return text.rstrip("\n") + "\n\n" + section + "\n"
    after = text.find("\n", marker) + 1 or len(text)
    return text[:after] + "\n" + section + "\n\n" + text[after:]
