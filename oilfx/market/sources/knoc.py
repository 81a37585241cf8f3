"""KNOC home page (the seed's source): crude prices in `dl.money_list`, by label when labelled, else by position.

The seed read `soup.find_all("dl", class_="money_list")[3:]` -> first `<li>` of each, in the order Dubai, WTI, Brent
(the first three lists are domestic product prices). KNOC crude figures are the previous trading day's settlements.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from bs4 import BeautifulSoup

from oilfx.market.errors import SourceError
from oilfx.market.http import declared_charset, decode
from oilfx.market.quote import BENCHMARKS, OilPrice, canonical_benchmark, last_trading_day
from oilfx.market.sources.base import Context, OilResult, check_oil_price, parse_date, parse_decimal

log = logging.getLogger(__name__)

NAME = "KNOC"
LAYOUT_CHANGED = "KNOC page layout changed: no crude prices found"
_SEED_POSITIONS = ("Dubai", "WTI", "Brent")  # dl.money_list[3:], in the seed's order
_LABEL_WORDS = ("dubai", "두바이", "wti", "서부텍사스", "brent", "브렌트")


def _label_of(dl) -> str | None:
    """The benchmark a `dl.money_list` is labelled with (its `dt` or first heading), if any."""
    label_tag = dl.find("dt") or dl.find(["strong", "h3", "h4", "span"])
    if label_tag is None:
        return None
    text = label_tag.get_text(" ", strip=True).lower()
    for word in _LABEL_WORDS:
        if word in text:
            return canonical_benchmark(word)
    return None


def _first_value(dl) -> str | None:
    li = dl.find("li")
    return li.get_text(strip=True) if li is not None else None


def parse(body: bytes, charset: str | None = None) -> tuple[dict[str, Decimal], date | None]:
    """-> ({benchmark: USD/bbl}, the as-of date printed on the page or None). SourceError if none found."""
    soup = BeautifulSoup(decode(body, charset), "lxml")
    lists = soup.find_all("dl", class_="money_list")
    labelled = {dl: label for dl in lists if (label := _label_of(dl)) is not None}
    raw: dict[str, str] = {}
    if labelled:
        for dl, label in labelled.items():
            if (value := _first_value(dl)) and label not in raw:
                raw[label] = value
    else:
        for benchmark, dl in zip(_SEED_POSITIONS, lists[3:], strict=False):
            if value := _first_value(dl):
                raw[benchmark] = value
    if not raw:
        raise SourceError(LAYOUT_CHANGED)
    prices: dict[str, Decimal] = {}
    for benchmark, text in raw.items():
        try:
            prices[benchmark] = check_oil_price(benchmark, parse_decimal(text))
        except ValueError as e:
            raise SourceError(f"KNOC page layout changed: {benchmark} {e}") from None
    return prices, _as_of(lists[0]) if lists else None


def _as_of(first_list) -> date | None:
    """The nearest date printed around the price lists ("2023.11.28 기준"), looking a few levels up."""
    for level, parent in enumerate(first_list.parents):
        if level >= 3 or parent.name in {"body", "html", "[document]"}:
            return None
        if (day := parse_date(parent.get_text(" ", strip=True))) is not None:
            return day
    return None


def fetch(ctx: Context, wanted: Collection[str]) -> OilResult:
    response = ctx.http.get(ctx.settings.knoc_url)
    values, as_of = parse(response.content, declared_charset(response))
    if as_of is None:
        # KNOC posts the previous trading day's settlement; without a printed date that is the best claim we can make.
        as_of = last_trading_day(ctx.now)
        log.info("KNOC page shows no date; assuming %s", as_of)
    prices = {b: OilPrice(b, values[b], as_of, NAME) for b in BENCHMARKS if b in wanted and b in values}
    reasons = {b: "not on the KNOC page" for b in wanted if b not in prices}
    if not prices:
        raise SourceError("; ".join(sorted(set(reasons.values()))) or LAYOUT_CHANGED)
    return OilResult(prices, reasons)
