"""How a series' values are shown (the display rules of oilfx.market, per unit), and the one-line summary under a
chart: first -> last, the change and percent change, the range and the sources (figures from market.history's
summarise, exact in Decimal)."""

from __future__ import annotations

from decimal import Decimal

from oilfx.i18n import Msg, Text, benchmark_name, lazy
from oilfx.market import format_krw, format_krw_litre, format_rate, format_usd
from oilfx.market.history.series import Point, Series, Unit
from oilfx.market.history.summary import format_percent, summarise

FX = "USD/KRW"  # Series.benchmark of the exchange rate (its unit USD means won per dollar)
UNIT_LABELS: dict[Unit, Msg] = {Unit.USD: lazy("USD/bbl"), Unit.KRW_PER_BARREL: lazy("KRW/bbl"),
                                Unit.KRW_PER_LITRE: lazy("KRW/L")}


class NothingToDraw(ValueError):
    """The range has no value to draw (every day listed empty): `text` says so in the reader's language, str() in
    English for logs."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def unit_label(series: Series) -> Msg:
    return lazy("KRW per USD") if series.benchmark == FX else UNIT_LABELS[series.unit]


def series_name(series: Series) -> Msg | str:
    """The line's name as the reader calls it: 두바이유, WTI, 브렌트유, or the exchange rate."""
    return lazy("USD/KRW") if series.benchmark == FX else benchmark_name(series.benchmark)


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


def summary_line(series: Series) -> Msg:
    """One line: `WTI (USD/bbl) $70.10 (2026-09-08) → $72.30 (2026-12-04): +$2.20 (+3.14%); range $65.00
    (2026-10-02) – $74.10 (2026-11-20); Opinet, FRED`, or that the range has no data (a Msg: the days and the
    name in the reader's language, str() English)."""
    name, unit = series_name(series), unit_label(series)
    if not series.values():
        return lazy("{name} ({unit}): no data from {start} to {end}", name=name, unit=unit, start=series.start,
                    end=series.end)
    s = summarise(series)

    def shown(p: Point) -> str:
        assert p.value is not None
        return format_value(series, p.value)

    return lazy("{name} ({unit}) {first} ({first_day}) → {last} ({last_day}): {change} ({percent}); "
                "range {low} ({low_day}) – {high} ({high_day}); {sources}", name=name, unit=unit,
                first=shown(s.first), first_day=s.first.day, last=shown(s.last), last_day=s.last.day,
                change=format_change(series, s.change), percent=format_percent(s.percent), low=shown(s.low),
                low_day=s.low.day, high=shown(s.high), high_day=s.high.day,
                sources=", ".join(dict.fromkeys(series.sources)))
