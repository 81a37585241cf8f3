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


def _line(s: HistoryCheck) -> str:
    status = "ok    " if s.ok else "FAILED"
    detail = (f"{s.label}: {s.closes} days, last {s.quantity} {s.last_value:,} {UNITS[s.kind]} ({s.last_day})"
              if s.ok else s.reason or "failed")
    return f"{status}  {s.kind:<4}  {s.name:<12}  {s.ms:6.0f} ms  {detail}"


def history_text(report: HistoryReport) -> str:
    lines = [f"Price history sources, {report.start} to {report.end}, fetched live at "
             f"{format_kst(report.checked_at)}:"]
    lines += [_line(s) for s in report.sources]
    missing = [what for kind, what in (("oil", "oil closes"), ("fx", "USD/KRW rates"))
               if not any(s.ok for s in report.sources if s.kind == kind)]
    lines.append("")
    lines.append("OK: oil closes and USD/KRW rates each have a working history source." if not missing else
                 f"NOT OK: no working history source for {' and '.join(missing)} (exit 1).")
    return "\n".join(lines)
