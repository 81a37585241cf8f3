"""Issue 19's targets in one place at the end of the table: each with the worst figure this run measured for it
(over the bursts of the concurrency section) and met / not met, or "not measured" when its section did not run."""

from __future__ import annotations

from dataclasses import dataclass

from bench.sections import ACK_P99_TARGET, BURST_TARGET, CPU_TARGETS, Row


@dataclass(frozen=True)
class Target:
    key: str          # Row.key of the rows that measure it
    measure: str
    limit: float
    unit: str         # "ms" (number in seconds) or "×"


ISSUE_THREADS = 100
TARGETS = [
    Target("cpu:responses", "bot CPU per streamed turn (responses, during the burst)", CPU_TARGETS["responses"], "ms"),
    Target("cpu:responses-nostream", "bot CPU per non-streamed turn (responses-nostream, during the burst)",
           CPU_TARGETS["responses-nostream"], "ms"),
    Target("p95:responses", "burst p95 ÷ lone mention, one process, streamed", BURST_TARGET, "×"),
    Target("p95:responses-nostream", "burst p95 ÷ lone mention, one process, not streamed", BURST_TARGET, "×"),
    Target("ack:responses", "Socket Mode ack p99 during the burst, streamed", ACK_P99_TARGET, "ms"),
    Target("ack:responses-nostream", "Socket Mode ack p99 during the burst, not streamed", ACK_P99_TARGET, "ms"),
]


def _show(value: float, unit: str) -> str:
    return f"{value * 1000:.1f} ms" if unit == "ms" else f"{value:.2f}×"


def summary(rows: list[Row], threads: int) -> list[Row]:
    """`threads`: the concurrency section's burst size (the issue's targets are for 100: a smaller burst, as with
    --quick, says so in the row)."""
    sample = f"{threads} threads" + ("" if threads == ISSUE_THREADS else f"; the target is for {ISSUE_THREADS}")
    out = []
    for t in TARGETS:
        measured = [r for r in rows if r.key == t.key and r.number is not None]
        target = f"≤ {_show(t.limit, t.unit)}"
        if not measured:
            out.append(Row("issue 19 targets", t.measure, "not measured in this run (section concurrency, this engine)",
                           target))
            continue
        worst = max(r.number for r in measured if r.number is not None)
        out.append(Row("issue 19 targets", f"{t.measure}, worst of {len(measured)} burst(s) of {sample}",
                       _show(worst, t.unit), target, worst <= t.limit))
    return out
