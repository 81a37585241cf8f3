"""How a series' values are shown (the display rules of oilfx.market, per unit), and the one-line summary under a
chart: first -> last, the change and percent change, the range and the sources (figures from market.history's
summarise, exact in Decimal)."""

from __future__ import annotations

from decimal import Decimal

from oilfx.market import format_krw, format_krw_litre, format_rate, format_usd
from oilfx.market.history.series import Point, Series, Unit
from oilfx.market.history.summary import format_percent, summarise

FX = "USD/KRW"  # Series.benchmark of the exchange rate (its unit USD means won per dollar)
UNIT_LABELS = {Unit.USD: "USD/bbl", Unit.KRW_PER_BARREL: "KRW/bbl", Unit.KRW_PER_LITRE: "KRW/L"}


def unit_label(series: Series) -> str:
    return "KRW per USD" if series.benchmark == FX else UNIT_LABELS[series.unit]


def format_value(series: Series, value: Decimal) -> str:
    """A value as oilfx shows it everywhere: `$76.41`, `₩98,492`, `₩619.50` (per litre), `1,289.00` (the rate)."""
    if series.benchmark == FX:
        return format_rate(value)
    if series.unit is Unit.USD:
        return format_usd(value)
    return format_krw(value) if series.unit is Unit.KRW_PER_BARREL else format_krw_litre(value)


def format_change(series: Series, change: Decimal) -> str:
    """`+$2.20`, `-₩1,234`: the sign, then the amount as format_value shows it."""
    return ("-" if change < 0 else "+") + format_value(series, abs(change))


def summary_line(series: Series) -> str:
    """One line: `WTI (USD/bbl) $70.10 (2026-09-08) → $72.30 (2026-12-04): +$2.20 (+3.14%); range $65.00
    (2026-10-02) – $74.10 (2026-11-20); Opinet, FRED`, or that the range has no data."""
    head = f"{series.benchmark} ({unit_label(series)})"
    if not series.values():
        return f"{head}: no data from {series.start.isoformat()} to {series.end.isoformat()}"
    s = summarise(series)

    def at(p: Point) -> str:
        assert p.value is not None
        return f"{format_value(series, p.value)} ({p.day.isoformat()})"

    return (f"{head} {at(s.first)} → {at(s.last)}: {format_change(series, s.change)} ({format_percent(s.percent)}); "
            f"range {at(s.low)} – {at(s.high)}; {', '.join(dict.fromkeys(series.sources))}")

