"""How `python -m oilfx doctor --history` prints the history sources' check (oilfx/market/history/doctor.py)."""

from __future__ import annotations

from oilfx.cli.common import columns, display_width, ljust
from oilfx.i18n import EN, Texts, benchmark_name
from oilfx.market.history.doctor import HistoryCheck, HistoryReport


def history_json(report: HistoryReport) -> dict:
    return {"ok": report.ok, "start": report.start.isoformat(), "end": report.end.isoformat(),
            "sources": [{"kind": s.kind, "name": s.name, "label": s.label, "ok": s.ok, "ms": round(s.ms, 1),
                         "quantity": s.quantity, "closes": s.closes,
                         "last": None if s.last_day is None else {"day": s.last_day.isoformat(),
                                                                  "value": str(s.last_value)},
                         "reason": None if s.reason is None else str(s.reason)} for s in report.sources]}


def status_line(ok: bool, kind: str, name: str, ms: float, detail: str, tx: Texts = EN) -> str:
    """One source's line in the doctor's columns, for the quote sources (cli/doctor.py) and the history ones. The
    status word is padded by display width, so 정상/실패 keep the columns where ok/FAILED do."""
    words = columns(tx.t("ok|FAILED"))   # the two status words, in one entry so a translator sees both
    status = ljust(words[0] if ok else words[1], max(display_width(w) for w in words))
    return f"{status}  {kind:<4}  {name:<12}  {ms:6.0f} ms  {detail}"


def _line(s: HistoryCheck, tx: Texts) -> str:
    if not s.ok:
        detail = tx.render(s.reason) if s.reason else tx.t("failed, no reason given")
    else:
        found = {"label": s.label, "quantity": benchmark_name(s.quantity), "value": f"{s.last_value:,}",
                 "day": s.last_day}
        detail = (tx.n("{label}: {count} day, last {quantity} {value} USD/bbl ({day})",
                       "{label}: {count} days, last {quantity} {value} USD/bbl ({day})", s.closes, **found)
                  if s.kind == "oil" else
                  tx.n("{label}: {count} day, last {quantity} {value} KRW/USD ({day})",
                       "{label}: {count} days, last {quantity} {value} KRW/USD ({day})", s.closes, **found))
    return status_line(s.ok, s.kind, s.name, s.ms, detail, tx)


def history_text(report: HistoryReport, tx: Texts = EN) -> str:
    lines = [tx.t("Price history sources, {start} to {end}, fetched live at {moment}:", start=report.start,
                  end=report.end, moment=report.checked_at)]
    lines += [_line(s, tx) for s in report.sources]
    lines.append("")
    missing = set(report.unserved)
    if not missing:
        lines.append(tx.t("OK: oil closes and USD/KRW rates each have a working history source."))
    elif missing == {"oil", "fx"}:
        lines.append(tx.t("NOT OK: no working history source for oil closes and USD/KRW rates (exit 1)."))
    elif "oil" in missing:
        lines.append(tx.t("NOT OK: no working history source for oil closes (exit 1)."))
    else:
        lines.append(tx.t("NOT OK: no working history source for USD/KRW rates (exit 1)."))
    return "\n".join(lines)
