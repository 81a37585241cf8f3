"""oilfx.charts: the PNG is a real PNG, its lines are the series' values (gaps stay gaps), the last value is
labelled as oilfx formats it, Hangul renders with the packaged font, and drawing on many threads at once is safe."""

from __future__ import annotations

import dataclasses
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

from oilfx.charts import NothingToDraw, render_png, summary_line
from oilfx.charts.fonts import FONT_PACKAGE, families, font_file, korean_family
from oilfx.charts.render import MAX_SPAN, draw, line_points
from oilfx.charts.summary import UNIT_LABELS, format_value
from oilfx.i18n import EN, KO, Texts, benchmark_name
from oilfx.market import format_krw, format_usd
from oilfx.market.history.series import Pairing, Point, Series, Unit
from oilfx.market.history.summary import format_percent, summarise

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
    png = render_png([series()], EN)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises here
    fig = draw([series()], EN)
    assert image.format == "PNG"
    assert image.size == (round(fig.get_figwidth() * fig.dpi), round(fig.get_figheight() * fig.dpi))


def test_each_line_is_the_series_values_with_gaps_left_undrawn():
    holiday, hole = date(2026, 11, 26), (date(2026, 10, 12), date(2026, 10, 16))  # a holiday and a missing week
    s = series(holiday=holiday, hole=hole)
    line = draw([s], EN).axes[0].lines[0]
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
    fig = draw([wti, brent], EN)
    labels = {t.get_text() for t in fig.axes[0].texts}
    expected = {format_usd(s.values()[-1].value) for s in (wti, brent)}
    assert labels == expected
    won = series("Dubai", Unit.KRW_PER_BARREL, base="98492.49", step="812.5")
    assert {t.get_text() for t in draw([won], EN).axes[0].texts} == {format_krw(won.values()[-1].value)}


def test_the_korean_font_comes_from_the_package_and_hangul_has_every_glyph():
    path = font_file()
    package_dir = distribution(FONT_PACKAGE).locate_file("koreanize_matplotlib")
    assert path.is_relative_to(package_dir.resolve()), path
    assert font_manager.findfont(font_manager.FontProperties(family=families())) == str(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw([series("Dubai")], KO, title="두바이유 가격 추이 (1년)")
        render_png([series("Dubai"), series("Brent", base="74.20")], EN)
        fig.canvas.draw()
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    title = next(t for t in fig.texts if t.get_text() == fig.get_suptitle())
    assert fig.get_suptitle() == "두바이유 가격 추이 (1년)" and title.get_fontfamily()[0] == korean_family()


def won(earlier: int = 2) -> Series:
    """Dubai in won per barrel, each close paired with a rate of 1,400; the last `earlier` closes with the day
    before's rate (as over a Korean bank holiday)."""
    s = series("Dubai", Unit.KRW_PER_BARREL, base="98492.49", step="812.5")
    valued = s.values()
    pairs = tuple(Pairing(p.day, p.value / 1400, Decimal(1400), p.day - timedelta(days=1) if i >= len(valued) -
                          earlier else p.day) for i, p in enumerate(valued))
    return dataclasses.replace(s, sources=("Opinet", "Frankfurter (ECB)"), pairs=pairs)


@pytest.mark.parametrize("tx", [KO, EN], ids=["ko", "en"])
def test_every_word_on_the_chart_is_in_the_readers_language(tx: Texts):
    """Title, subtitle, footer, legend and date axis in `tx`'s language: the catalog's sentences with the days in
    its form (2026년 9월 7일 / 2026-09-07), the names via benchmark_name; money as oilfx shows it in both."""
    s = won()
    fig = draw([s], tx)
    fig.canvas.draw()
    first, last = s.values()[0], s.values()[-1]
    assert fig.get_suptitle() == tx.t("{names}  ({unit})", names=benchmark_name("Dubai"), unit=UNIT_LABELS[s.unit])
    subtitle, footer = (t.get_text() for t in fig.texts if t.get_text() != fig.get_suptitle())
    span = tx.t("{start} – {end}, daily closes", start=s.start, end=s.end)
    assert subtitle == tx.t("{range} · from {first} to {last} ({percent})", range=span,
                            first=format_value(s, first.value), last=format_value(s, last.value),
                            percent=format_percent(summarise(s).percent))
    assert footer.splitlines() == [
        tx.t("Source: {sources} · last close {day} · as of {moment}", day=last.day, moment=FETCHED,
             sources=tx.t("{oil} (crude), {fx} (USD/KRW)", oil="Opinet", fx="Frankfurter (ECB)")),
        tx.n("Won = each close × that day's USD/KRW rate; {count} close used the latest rate before its day",
             "Won = each close × that day's USD/KRW rate; {count} closes used the latest rate before their day", 2)]
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    two = draw([series("Dubai"), series("Brent", base="74.20")], tx).axes[0].get_legend().get_texts()
    assert [t.get_text() for t in two] == [tx.render(benchmark_name(b)) for b in ("Dubai", "Brent")]
    if tx is KO:
        assert "2026년 9월 7일~2026년 12월 6일" in subtitle and "두바이유" in fig.get_suptitle()
        assert "원화 = " in footer and "2026-" not in subtitle + footer
        assert ticks and all(t.endswith(("년", "월", "일")) for t in ticks), ticks
        assert [t.get_text() for t in two] == ["두바이유", "브렌트유"]
    else:
        assert subtitle.startswith("2026-09-07 – 2026-12-06, daily closes · from ₩")
        assert footer.startswith("Source: Opinet (crude), Frankfurter (ECB) (USD/KRW) · last close 2026-12-04")


def test_a_korean_won_chart_draws_every_hangul_glyph():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_png([won()], KO)
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    Image.open(io.BytesIO(png)).load()


def test_drawing_on_many_threads_gives_the_same_png_as_one_at_a_time():
    charts = [[series()], [series("Brent", base="74.2")], [series("Dubai", Unit.KRW_PER_LITRE, base="619.5")]]
    alone = [render_png(c, EN) for c in charts]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda c: render_png(c, EN), charts * 4))
    assert together == alone * 4


def test_nothing_to_draw_or_mixed_units_is_refused_clearly():
    with pytest.raises(ValueError, match="no series"):
        render_png([], EN)
    empty = Series("WTI", Unit.USD, (Point(date(2026, 12, 1), None),), ("FRED",), date(2026, 12, 1),
                   date(2026, 12, 6), FETCHED)
    with pytest.raises(NothingToDraw, match="WTI: no values from 2026-12-01 to 2026-12-06") as nothing:
        render_png([empty], EN)
    assert KO.render(nothing.value.text) == KO.t("{name}: no values from {start} to {end}", name="WTI",
                                                 start=date(2026, 12, 1), end=date(2026, 12, 6))
    assert "2026년 12월 1일" in KO.render(nothing.value.text)
    with pytest.raises(ValueError, match="different units"):
        render_png([series(), series("Brent", Unit.KRW_PER_BARREL)], EN)


def test_the_summary_line_is_exact():
    s = series(holiday=date(2026, 12, 4))
    values = [p for p in s.points if p.value is not None]
    change = values[-1].value - values[0].value
    line = str(summary_line(s))
    assert f"{format_value(s, values[0].value)} ({values[0].day.isoformat()})" in line
    assert f"→ {format_value(s, values[-1].value)} ({values[-1].day.isoformat()})" in line
    assert ("-" if change < 0 else "+") + format_usd(abs(change)) in line
    low, high = min(p.value for p in values), max(p.value for p in values)
    assert f"range {format_usd(low)} (" in line and f" – {format_usd(high)} (" in line
    assert "Opinet, FRED" in line
    assert "no data" in str(summary_line(Series("WTI", Unit.USD, (), ("FRED",), date(2026, 12, 1), date(2026, 12, 6),
                                                FETCHED)))


def test_a_first_close_below_zero_has_no_percent_change():
    # FRED's real WTI closed at -37.63 on 2020-04-20: a percent change from it would flip its sign.
    s = Series("WTI", Unit.USD, (Point(date(2020, 4, 20), Decimal("-37.63")), Point(date(2020, 4, 21),
               Decimal("10.01"))), ("FRED",), date(2020, 4, 20), date(2020, 4, 21), FETCHED)
    assert "(n/a)" in str(summary_line(s))
    assert "(n/a)" in next(t.get_text() for t in draw([s], EN).texts if "from" in t.get_text())


def test_percent_changes_are_signed_once_and_rounded_half_up():
    """One format for the chart caption, the summary line, the tool and the CLI; a tiny fall is `-0.00%`, not
    the `+-0.00%` the chart's own copy printed."""
    from oilfx.market.history.summary import format_percent

    assert [format_percent(Decimal(v)) for v in ("-0.001", "0", "3.145", "-12.5")] == \
        ["-0.00%", "+0.00%", "+3.15%", "-12.50%"]
    assert format_percent(None) == "n/a"
