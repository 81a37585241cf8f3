"""render_png: one PNG line chart of one or more daily series in one unit, readable at Slack's preview size.

Each benchmark is a line with its last value labelled; the x-axis is dated; the footer names the sources, the last
trading day shown and when the data was fetched (KST). A point without a value (a holiday the source lists empty)
and a hole longer than MAX_SPAN between rows break the line: nothing is drawn that no source printed. Values stay
Decimal until the plot call. Only matplotlib's object-oriented API is used (Figure + FigureCanvasAgg, no pyplot):
turns draw charts on many threads at once and pyplot's current-figure state is global.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from oilfx.charts.fonts import families, korean_family
from oilfx.charts.summary import FX, NothingToDraw, format_percent, format_value, series_name, unit_label
from oilfx.i18n import Lang, Texts, lazy
from oilfx.i18n.joins import Join, joined
from oilfx.market.history.series import Series, Unit
from oilfx.market.history.summary import summarise

# Rows further apart than this are not joined: a weekend plus a holiday (Fri -> Tue) is 4 days.
MAX_SPAN = timedelta(days=4)
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 150   # 1200 x 675 px; Slack previews it about half size
COLORS = {"Dubai": "#c0392b", "WTI": "#1f4e79", "Brent": "#e08e0b", FX: "#138d75"}
BOLD = 600  # NanumGothicBold.ttf declares weight 600; asking 700 makes matplotlib log a fallback per text
OTHER_COLORS = ("#6c3483", "#2e86c1", "#7f8c8d")
# The date axis as Korean charts label it (2026년, 10월, 15일, 11월 2일); English keeps matplotlib's (2026, Oct, 15).
# Years, months and days only: a daily chart never ticks hours. Linux strftime: %-m drops the leading zero.
KOREAN_TICKS = {"formats": ["%Y년", "%-m월", "%-d일", "%H:%M", "%H:%M", "%S.%f"],
                "zero_formats": ["", "%Y년", "%-m월", "%-m월 %-d일", "%H:%M", "%H:%M"]}


def label(series: Series, texts: Texts) -> str:
    """The line's name in the legend and title: 두바이유, WTI, 브렌트유, 원/달러 환율 (Dubai, WTI, Brent, USD/KRW)."""
    return texts.render(series_name(series))


def line_points(series: Series) -> tuple[list[date], list[Decimal | None]]:
    """The days and values one line is drawn through, oldest first: a None value is a gap, and a None is put
    between two rows more than MAX_SPAN apart so the line breaks there instead of bridging the hole."""
    days: list[date] = []
    values: list[Decimal | None] = []
    for point in series.points:
        if days and point.day - days[-1] > MAX_SPAN:
            days.append(days[-1] + (point.day - days[-1]) / 2)
            values.append(None)
        days.append(point.day)
        values.append(point.value)
    return days, values


def line_width(points: int) -> float:
    """Thick enough to read at preview size, thin enough that years of daily closes stay a line, not a band."""
    return 2.2 if points <= 140 else 1.6 if points <= 400 else 1.1


def _check(series: Sequence[Series]) -> None:
    if not series:
        raise ValueError("no series to draw")
    if len({(s.unit, s.benchmark == FX) for s in series}) > 1:
        raise ValueError("series in different units cannot share one chart: " +
                         ", ".join(f"{s.benchmark} ({unit_label(s)!s})" for s in series))
    if not any(s.values() for s in series):
        items = [lazy("{name}: no values from {start} to {end}", name=series_name(s), start=s.start, end=s.end)
                 for s in series]
        raise NothingToDraw(joined(items, Join.COMMA))


class MoneyTicks(ticker.Formatter):
    """Axis labels with the unit's mark and as many decimals as the tick spacing needs (`₩98,000`, `$71.5`)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, x: float, pos: int | None = None) -> str:
        ticks = self.axis.get_majorticklocs() if self.axis is not None else []
        step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
        decimals = 0 if step >= 1 else 1 if step >= 0.1 else 2
        return f"{self.prefix}{x:,.{decimals}f}"


def _prefix(series: Series) -> str:
    return "" if series.benchmark == FX else "$" if series.unit is Unit.USD else "₩"


def default_title(series: Sequence[Series], texts: Texts) -> str:
    """`WTI · 브렌트유  (달러/배럴)`: the names (a list of names, joined as names are) and the unit."""
    return texts.t("{names}  ({unit})", names=" · ".join(label(s, texts) for s in series),
                   unit=unit_label(series[0]))


def footer(series: Sequence[Series], texts: Texts) -> str:
    """Where the data came from, the last close and when it was fetched; for won, how closes met rates."""
    sources = ", ".join(dict.fromkeys(src for s in series for src in s.sources[:1]))
    if fx := ", ".join(dict.fromkeys(src for s in series if s.pairs for src in s.sources[1:])):
        # a won series lists its oil source, then its rate's
        sources = texts.t("{oil} (crude), {fx} (USD/KRW)", oil=sources, fx=fx)
    last_days = [s.values()[-1].day for s in series if s.values()]
    fetched: datetime = max(s.fetched_at for s in series)
    lines = [texts.t("Source: {sources} · last close {day} · as of {moment}", sources=sources, day=max(last_days),
                     moment=fetched)]
    if any(s.pairs for s in series):  # won: how each close met a rate (series.pairing_note in full, in short)
        earlier = sum(1 for s in series for p in s.pairs if p.rate_day != p.day)
        lines.append(texts.n("Won = each close × that day's USD/KRW rate; {count} close used the latest rate "
                             "before its day", "Won = each close × that day's USD/KRW rate; {count} closes used "
                             "the latest rate before their day", earlier) if earlier
                     else texts.t("Won = each close × that day's USD/KRW rate"))
    return "\n".join(lines)


def _subtitle(series: Sequence[Series], start: date, end: date, texts: Texts) -> str:
    """The range, and for a single line what it did over it:
    `2026-09-07 – 2026-12-06, daily closes · from $71.70 to $84.59 (+17.98%)` (the days in the reader's form)."""
    firsts = [s.values()[0].day for s in series if s.values()]
    if min(firsts) - start > MAX_SPAN:  # the sources' data begins later: the empty part of the axis is not a gap
        text = texts.t("{start} – {end}, daily closes (data from {first_day})", start=start, end=end,
                       first_day=min(firsts))
    else:
        text = texts.t("{start} – {end}, daily closes", start=start, end=end)
    if len(series) == 1 and series[0].values():
        st = summarise(series[0])
        assert st.first.value is not None and st.last.value is not None
        text = texts.t("{range} · from {first} to {last} ({percent})", range=text,
                       first=format_value(series[0], st.first.value), last=format_value(series[0], st.last.value),
                       percent=format_percent(st.percent))
    return text


def _spread(values: list[float], gap: float) -> list[float]:
    """Label heights at least `gap` apart, each as near its value as that allows (labels of close lines would
    print over each other)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [0.0] * len(values)
    floor = -math.inf
    for i in order:
        placed[i] = max(values[i], floor + gap)
        floor = placed[i]
    shift = (max(placed[i] - values[i] for i in order)) / 2 if values else 0.0
    return [p - shift for p in placed] if shift and len(values) > 1 else placed


def render_png(series: Sequence[Series], texts: Texts, title: str | None = None) -> bytes:
    """The chart as PNG bytes, its words in `texts`' language. ValueError if there is nothing to draw (no series,
    no values) or the series are in different units."""
    out = io.BytesIO()
    draw(series, texts, title).savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def draw(series: Sequence[Series], texts: Texts, title: str | None = None) -> Figure:
    """The chart as a matplotlib Figure on its own Agg canvas (render_png saves it; tests read its lines)."""
    _check(series)
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    font, bold = families(), [korean_family()]  # bold text: no fallback (DejaVu has no semibold to fall back to)
    ax = fig.add_subplot()
    start = min(s.start for s in series)
    end = max(s.end for s in series)
    lasts: list[tuple[Series, str, date, Decimal]] = []
    for i, s in enumerate(series):
        color = COLORS.get(s.benchmark, OTHER_COLORS[i % len(OTHER_COLORS)])
        days, values = line_points(s)
        # Decimal -> float here only, for drawing; a gap is NaN, which matplotlib leaves undrawn.
        ax.plot(days, [math.nan if v is None else float(v) for v in values], color=color,
                linewidth=line_width(len(days)), label=label(s, texts), solid_joinstyle="round")
        if s.values():
            last = s.values()[-1]
            assert last.value is not None
            ax.plot([last.day], [float(last.value)], "o", color=color, markersize=5)
            lasts.append((s, color, last.day, last.value))
    ax.set_xlim(start, end)
    low, high = ax.get_ylim()
    heights = _spread([float(v) for *_, v in lasts], gap=(high - low) * 0.075)
    for (s, color, day, value), y in zip(lasts, heights, strict=True):
        # In the margin right of the plot, level with the line's end (moved apart where two ends are close).
        ax.annotate(format_value(s, value), xy=(day, float(value)), xytext=(1.01, y),
                    textcoords=("axes fraction", "data"), va="center", ha="left", fontsize=11, fontweight=BOLD,
                    color=color, fontfamily=bold, annotation_clip=False)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    formatter = mdates.ConciseDateFormatter(locator, offset_formats=[""] * 6,  # the subtitle has the range
                                            **(KOREAN_TICKS if texts.lang is Lang.KO else {}))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.yaxis.set_major_formatter(MoneyTicks(_prefix(series[0])))
    ax.tick_params(labelsize=10, labelfontfamily=font)  # Korean dates on the axis (10월) need the Korean font
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if len(series) > 1:
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), prop=FontProperties(family=font, size=10),
                  frameon=False, ncols=len(series), borderaxespad=0.2, handlelength=1.6)
    fig.suptitle(title or default_title(series, texts), x=0.02, y=0.975, ha="left", fontsize=15, fontweight=BOLD,
                 fontfamily=bold)
    fig.text(0.02, 0.875, _subtitle(series, start, end, texts), fontsize=10, color="#555555", fontfamily=font)
    fig.text(0.02, 0.015, footer(series, texts), fontsize=8.5, color="#666666", fontfamily=font, va="bottom")
    # Won labels are the widest (₩105,000); the footer takes a second line for won series.
    left = 0.12 if series[0].unit is Unit.KRW_PER_BARREL and series[0].benchmark != FX else 0.09
    fig.subplots_adjust(left=left, right=0.85, top=0.78 if len(series) > 1 else 0.84,
                        bottom=0.19 if series[0].pairs else 0.16)
    return fig
