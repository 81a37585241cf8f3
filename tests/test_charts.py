"""oilfx.charts: the PNG is a real PNG, its lines are the series' values (gaps stay gaps), the last value is
labelled as oilfx formats it, Hangul renders with the packaged font, and drawing on many threads at once is safe."""

from __future__ import annotations

import io
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import distribution

import pytest
from matplotlib import font_manager
from matplotlib.dates import date2num
from PIL import Image

from oilfx.charts import render_png, summary_line
from oilfx.charts.fonts import FONT_PACKAGE, families, font_file, korean_family
from oilfx.charts.render import MAX_SPAN, draw, line_points
from oilfx.charts.summary import format_value
from oilfx.market import format_krw, format_usd
from oilfx.market.history.series import Point, Series, Unit

FETCHED = datetime(2026, 12, 7, 0, 12, tzinfo=UTC)


def weekdays(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5]


def series(benchmark: str = "WTI", unit: Unit = Unit.USD, base: str = "70.10", step: str = "0.37",
           holiday: date | None = None, hole: tuple[date, date] | None = None) -> Series:
    """Weekday closes from 2026-09-07 to 2026-12-04 going up and down by `step`; `holiday` listed without a value
    (as FRED prints one), the days in `hole` not listed at all."""
    points = []
    for i, day in enumerate(weekdays(date(2026, 9, 7), date(2026, 12, 4))):
        if hole and hole[0] <= day <= hole[1]:
            continue
        value = Decimal(base) + Decimal(step) * ((i * 7) % 11 - 5)
        points.append(Point(day, None if day == holiday else value))
    return Series(benchmark, unit, tuple(points), ("Opinet", "FRED"), date(2026, 9, 7), date(2026, 12, 6), FETCHED)


def test_the_png_is_valid_and_decodes_to_the_drawn_size():
    png = render_png([series()])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises here
    fig = draw([series()])
    assert image.format == "PNG"
    assert image.size == (round(fig.get_figwidth() * fig.dpi), round(fig.get_figheight() * fig.dpi))


def test_each_line_is_the_series_values_with_gaps_left_undrawn():
    holiday, hole = date(2026, 11, 26), (date(2026, 10, 12), date(2026, 10, 16))  # a holiday and a missing week
    s = series(holiday=holiday, hole=hole)
    line = draw([s]).axes[0].lines[0]
    ys = list(line.get_ydata())
    xs = [float(x) for x in date2num(line.get_xdata())]
    # Every drawn value is a point of the series at its day, converted at the plot call only.
    drawn = {x: y for x, y in zip(xs, ys, strict=True) if not math.isnan(y)}
    assert drawn == {float(date2num(p.day)): float(p.value) for p in s.points if p.value is not None}
    # The holiday is NaN at its own day; the missing week is one NaN between its neighbours, no invented point.
    assert math.isnan(ys[xs.index(float(date2num(holiday)))])
    before = max(p.day for p in s.points if p.day < hole[0])
    after = min(p.day for p in s.points if p.day > hole[1])
    assert after - before > MAX_SPAN
    i = xs.index(float(date2num(before)))
    assert math.isnan(ys[i + 1]) and xs[i + 2] == float(date2num(after))
    assert len(ys) == len(s.points) + 1  # the one break, nothing else added
    # A weekend (Fri -> Mon) is not a hole: no break there.
    days, values = line_points(series())
    assert all(v is not None for v in values) and len(days) == len(series().points)


def test_the_last_value_is_labelled_as_oilfx_formats_it():
    wti, brent = series(), series("Brent", base="74.20", step="0.41")
    fig = draw([wti, brent])
    labels = {t.get_text() for t in fig.axes[0].texts}
    expected = {format_usd(s.values()[-1].value) for s in (wti, brent)}
    assert labels == expected
    won = series("Dubai", Unit.KRW_PER_BARREL, base="98492.49", step="812.5")
    assert {t.get_text() for t in draw([won]).axes[0].texts} == {format_krw(won.values()[-1].value)}


def test_the_korean_font_comes_from_the_package_and_hangul_has_every_glyph():
    path = font_file()
    package_dir = distribution(FONT_PACKAGE).locate_file("koreanize_matplotlib")
    assert path.is_relative_to(package_dir.resolve()), path
    assert font_manager.findfont(font_manager.FontProperties(family=families())) == str(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw([series("Dubai")], title="두바이유 가격 추이 (1년)")
        render_png([series("Dubai"), series("Brent", base="74.20")])
        fig.canvas.draw()
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    title = next(t for t in fig.texts if t.get_text() == fig.get_suptitle())
    assert fig.get_suptitle() == "두바이유 가격 추이 (1년)" and title.get_fontfamily()[0] == korean_family()


def test_drawing_on_many_threads_gives_the_same_png_as_one_at_a_time():
    charts = [[series()], [series("Brent", base="74.2")], [series("Dubai", Unit.KRW_PER_LITRE, base="619.5")]]
    alone = [render_png(c) for c in charts]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(render_png, charts * 4))
    assert together == alone * 4


def test_nothing_to_draw_or_mixed_units_is_refused_clearly():
    with pytest.raises(ValueError, match="no series"):
        render_png([])
    empty = Series("WTI", Unit.USD, (Point(date(2026, 12, 1), None),), ("FRED",), date(2026, 12, 1),
                   date(2026, 12, 6), FETCHED)
    with pytest.raises(ValueError, match="no values"):
        render_png([empty])
    with pytest.raises(ValueError, match="different units"):
        render_png([series(), series("Brent", Unit.KRW_PER_BARREL)])


def test_the_summary_line_is_exact():
    s = series(holiday=date(2026, 12, 4))
    values = [p for p in s.points if p.value is not None]
    change = values[-1].value - values[0].value
    line = summary_line(s)
    assert f"{format_value(s, values[0].value)} ({values[0].day.isoformat()})" in line
    assert f"→ {format_value(s, values[-1].value)} ({values[-1].day.isoformat()})" in line
    assert ("-" if change < 0 else "+") + format_usd(abs(change)) in line
    low, high = min(p.value for p in values), max(p.value for p in values)
    assert f"range {format_usd(low)} (" in line and f" – {format_usd(high)} (" in line
    assert "Opinet, FRED" in line
    assert "no data" in summary_line(Series("WTI", Unit.USD, (), ("FRED",), date(2026, 12, 1), date(2026, 12, 6),
                                            FETCHED))


def test_a_first_close_below_zero_has_no_percent_change():
    # FRED's real WTI closed at -37.63 on 2020-04-20: a percent change from it would flip its sign.
    s = Series("WTI", Unit.USD, (Point(date(2020, 4, 20), Decimal("-37.63")), Point(date(2020, 4, 21),
               Decimal("10.01"))), ("FRED",), date(2020, 4, 20), date(2020, 4, 21), FETCHED)
    assert "(n/a)" in summary_line(s)
    assert "(n/a)" in next(t.get_text() for t in draw([s]).texts if "from" in t.get_text())


def test_percent_changes_are_signed_once_and_rounded_half_up():
    """One format for the chart caption, the summary line, the tool and the CLI; a tiny fall is `-0.00%`, not
    the `+-0.00%` the chart's own copy printed."""
    from oilfx.market.history.summary import format_percent

    assert [format_percent(Decimal(v)) for v in ("-0.001", "0", "3.145", "-12.5")] == \
        ["-0.00%", "+0.00%", "+3.15%", "-12.50%"]
    assert format_percent(None) == "n/a"
