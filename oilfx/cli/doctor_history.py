"""How `python -m oilfx doctor --history` prints the history sources' check (oilfx/market/history/doctor.py)."""

from __future__ import annotations

from oilfx.market.history.doctor import HistoryCheck, HistoryReport
from oilfx.market.quote import format_kst

UNITS = {"oil": "USD/bbl", "fx": "KRW/USD"}


def history_json(report: HistoryReport) -> dict:
    return {"ok": report.ok, "start": report.start.isoformat(), "end": report.end.isoformat(),
            "sources": [{"kind": s.kind, "name": s.name, "label": s.label, "ok": s.ok, "ms": round(s.ms, 1),
                         "quantity": s.quantity, "closes": s.closes,
                         "last": None if s.last_day is None else {"day": s.last_day.isoformat(),
                                                                  "value": str(s.last_value)},
                         "reason": s.reason} for s in report.sources]}


def status_line(ok: bool, kind: str, name: str, ms: float, detail: str) -> str:
    """One source's line in the doctor's columns, for the quote sources (cli/doctor.py) and the history ones."""
    return f"{'ok    ' if ok else 'FAILED'}  {kind:<4}  {name:<12}  {ms:6.0f} ms  {detail}"


def _line(s: HistoryCheck) -> str:
    detail = (f"{s.label}: {s.closes} days, last {s.quantity} {s.last_value:,} {UNITS[s.kind]} ({s.last_day})"
              if s.ok else s.reason or "failed")
    return status_line(s.ok, s.kind, s.name, s.ms, detail)


def history_text(report: HistoryReport) -> str:
    lines = [f"Price history sources, {report.start} to {report.end}, fetched live at "
             f"{format_kst(report.checked_at)}:"]
    lines += [_line(s) for s in report.sources]
    missing = [{"oil": "oil closes", "fx": "USD/KRW rates"}[kind] for kind in report.unserved]
    lines.append("")
    lines.append("OK: oil closes and USD/KRW rates each have a working history source." if not missing else
                 f"NOT OK: no working history source for {' and '.join(missing)} (exit 1).")
    return "\n".join(lines)
