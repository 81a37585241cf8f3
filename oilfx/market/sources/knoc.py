"""KNOC home page: national average pump prices (KRW/L), never crude.

The 2026 page (as a third-party parser of the live page reads it; no saved copy exists) has a section "오늘의 유가"
with `div#panel1-1` 휘발유, `div#panel1-2` 자동차용경유, `div#panel1-3` 자동차용부탄: the price in `<strong>`
("1,688.42"), the date in a `<p>` ("2026.04.15 ..."), EUC-KR. The seed's crude lists (`dl.money_list`) exist in no
public copy, and KNOC's crude figures moved to Opinet (sources/opinet.py). A missing panel, price or date is a
failure with the panel named: every figure here is read from its own labelled place, none is guessed.
"""

from __future__ import annotations

from decimal import Decimal

from bs4 import BeautifulSoup

from oilfx.market.errors import SourceError
from oilfx.market.http import declared_charset, decode
from oilfx.market.quote import PumpPrice
from oilfx.market.sources.base import Context, parse_date, parse_decimal

NAME = "KNOC"
SETTING = "OILFX_KNOC_URL"
# panel id -> (the page's product name, English)
PANELS = {
    "panel1-1": ("휘발유", "gasoline"),
    "panel1-2": ("자동차용경유", "diesel"),
    "panel1-3": ("자동차용부탄", "autogas (butane)"),
}
# Korean pump prices have stayed within this band for decades; outside it we are reading the wrong number.
_PLAUSIBLE = (Decimal("300"), Decimal("5000"))


def parse(body: bytes, charset: str | None = None) -> list[PumpPrice]:
    """The three national averages in PANELS order. SourceError naming the first panel that is missing or broken."""
    soup = BeautifulSoup(decode(body, charset), "lxml")
    prices = []
    for panel_id, (product, english) in PANELS.items():
        where = f"div#{panel_id} ({product})"
        panel = soup.find("div", id=panel_id)
        if panel is None:
            raise SourceError(f"KNOC page layout changed: no {where}")
        strong = panel.find("strong")
        if strong is None:
            raise SourceError(f"KNOC page layout changed: no <strong> price in {where}")
        try:
            value = parse_decimal(strong.get_text(strip=True))
        except ValueError as e:
            raise SourceError(f"KNOC page layout changed: {where} {e}") from None
        if not _PLAUSIBLE[0] <= value <= _PLAUSIBLE[1]:
            raise SourceError(f"KNOC page layout changed: implausible {product} price {value} KRW/L")
        day = next((d for p in panel.find_all("p") if (d := parse_date(p.get_text(" ", strip=True)))), None)
        if day is None:
            raise SourceError(f"KNOC page layout changed: no date <p> in {where}")
        prices.append(PumpPrice(product, english, value, day, NAME))
    return prices


def fetch(ctx: Context) -> list[PumpPrice]:
    response = ctx.http.get(ctx.settings.knoc_url, setting=SETTING)
    return parse(response.content, declared_charset(response))
