"""A series in won: each oil close times the USD/KRW rate of the same day, or the latest rate before it.

Oil and rate sources keep different calendars (NYMEX closes on US holidays, the ECB on TARGET holidays, Korean
banks over Seollal and Chuseok), so an oil date often has no same-day rate. The latest earlier rate is what was in
force that day; which dates used one is said in the series' `pairing_note`, never silently. The won values are the
exact Decimal products (per litre: divided by LITRES_PER_BARREL), unrounded.
"""

from __future__ import annotations

import bisect
import dataclasses
from datetime import date
from decimal import Decimal

from oilfx.i18n import Msg, Text, lazy, lazy_n
from oilfx.i18n.joins import Join, joined
from oilfx.market.history.series import Pairing, Point, Series, Unit
from oilfx.market.quote import krw_per_barrel, krw_per_litre

NOTE_DATES = 5   # earlier-rate dates named in the note; the rest are counted


def pair(oil: Series, rates: Series, unit: Unit) -> Series:
    """`oil` (USD/bbl) in `unit` using `rates` (USD/KRW, which should start some days before `oil`)."""
    if unit is Unit.USD:
        return oil
    valued = [p for p in rates.points if p.value is not None]
    days = [p.day for p in valued]
    points: list[Point] = []
    pairs: list[Pairing] = []
    earlier: list[tuple[date, date]] = []
    unpaired: list[date] = []
    for point in oil.points:
        i = bisect.bisect_right(days, point.day) - 1
        if point.value is None:
            points.append(point)  # a holiday stays a gap in won too
            continue
        if i < 0:
            unpaired.append(point.day)
            points.append(Point(point.day, None))
            continue
        rate = valued[i]
        won = _convert(point.value, rate.value, unit)
        points.append(Point(point.day, won))
        pairs.append(Pairing(point.day, point.value, rate.value, rate.day))
        if rate.day != point.day:
            earlier.append((point.day, rate.day))
    return dataclasses.replace(oil, unit=unit, points=tuple(points), pairs=tuple(pairs),
                               # by position: the oil's, then the rate's (one name can serve both: Naver)
                               sources=oil.sources + rates.sources,
                               pairing_note=note(rates.sources, earlier, unpaired))


def _convert(usd: Decimal, rate: Decimal | None, unit: Unit) -> Decimal:
    assert rate is not None
    return krw_per_litre(usd, rate) if unit is Unit.KRW_PER_LITRE else krw_per_barrel(usd, rate)


def note(sources: tuple[str, ...], earlier: list[tuple[date, date]], unpaired: list[date]) -> Text:
    """"Each close × the USD/KRW rate (Frankfurter (ECB)) of the same day. 2 dates had no rate that day and used
    the latest before it: ..." as a Msg: whole sentences, each its own entry, the dates in the reader's form."""
    sentences: list[Msg] = [lazy("Each close × the USD/KRW rate ({sources}) of the same day.",
                                 sources=", ".join(sources))]
    if earlier:
        items: list[Msg] = [lazy("{day} used {rate_day}'s rate", day=day, rate_day=rate_day)
                            for day, rate_day in earlier[:NOTE_DATES]]
        if len(earlier) > NOTE_DATES:
            more = len(earlier) - NOTE_DATES
            items.append(lazy_n("and {count} more date", "and {count} more dates", more))
        sentences.append(lazy_n("{count} date had no rate that day and used the latest before it: {dates}.",
                                "{count} dates had no rate that day and used the latest before it: {dates}.",
                                len(earlier), dates=joined(items, Join.COMMA)))
    if unpaired:
        sentences.append(lazy_n("No rate on or before {day}, so {count} date is left without a value.",
                                "No rate on or before {day}, so {count} dates are left without a value.",
                                len(unpaired), day=unpaired[0]))
    return joined(sentences, Join.SENTENCES)
