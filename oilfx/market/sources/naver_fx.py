"""Naver market index (the seed's FX source): USD/KRW quoted by a bank, found by class, EUC-KR without a charset.

`ul#exchangeList > li > a.head.usd > div.head_info.point_up|point_dn|point_same` holds `span.value` ("1,289.00")
and an unsigned `span.change`, whose direction is the `point_*` class (or the `span.blind` text 상승/하락);
`div.graph_info span.time` ("2023.11.29 16:33", KST), `span.source` (the quoting bank: "하나은행 기준",
"KEB하나은행 기준" in 2018) and `span.count > span.num` (the notice round, 고시회차).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bs4 import BeautifulSoup

from oilfx.market.errors import SourceError
from oilfx.market.http import declared_charset, decode
from oilfx.market.quote import KST, FxRate
from oilfx.market.sources.base import Context, parse_decimal

NAME = "Naver"
LAYOUT_CHANGED = "Naver page layout changed: no USD/KRW rate found"
_DIRECTION = {"point_up": 1, "point_dn": -1, "point_same": 0}
_DIRECTION_WORDS = {"상승": 1, "하락": -1, "보합": 0}


@dataclass(frozen=True)
class NaverFx:
    rate: Decimal
    change: Decimal | None     # signed; None when the page gives no direction
    as_of: datetime | None     # KST, None when the page shows no time
    notice_round: int | None   # 고시회차
    bank: str | None = None    # "하나은행", from "하나은행 기준"

    @property
    def source(self) -> str:
        return f"{NAME} ({self.bank})" if self.bank else NAME


def _direction(head_info) -> int | None:
    for css in head_info.get("class", []):
        if css in _DIRECTION:
            return _DIRECTION[css]
    for blind in head_info.find_all("span", class_="blind"):
        if (word := blind.get_text(strip=True)) in _DIRECTION_WORDS:
            return _DIRECTION_WORDS[word]
    return None


def parse(body: bytes, charset: str | None = None) -> NaverFx:
    soup = BeautifulSoup(decode(body, charset), "lxml")
    head = soup.select_one("#exchangeList a.head.usd") or soup.select_one("a.head.usd")
    info = head.select_one("div.head_info") if head is not None else None
    value = info.select_one("span.value") if info is not None else None
    if value is None:
        raise SourceError(LAYOUT_CHANGED)
    try:
        rate = parse_decimal(value.get_text(strip=True))
    except ValueError as e:
        raise SourceError(f"Naver page layout changed: rate {e}") from None
    change = None
    change_tag = info.select_one("span.change")
    direction = _direction(info)
    if change_tag is not None and direction is not None:
        try:
            change = Decimal(change_tag.get_text(strip=True).replace(",", "")) * direction
        except ArithmeticError:
            change = None
    item = head.find_parent("li") or soup
    as_of = None
    if (time_tag := item.select_one("div.graph_info span.time")) is not None:
        try:
            as_of = datetime.strptime(time_tag.get_text(strip=True), "%Y.%m.%d %H:%M").replace(tzinfo=KST)
        except ValueError:
            as_of = None
    notice_round = None
    if (round_tag := item.select_one("div.graph_info span.count span.num")) is not None:
        text = round_tag.get_text(strip=True)
        notice_round = int(text) if text.isdigit() else None
    bank = None
    if (source_tag := item.select_one("div.graph_info span.source")) is not None:
        bank = source_tag.get_text(" ", strip=True).removesuffix("기준").strip() or None
    return NaverFx(rate, change, as_of, notice_round, bank)


def fetch(ctx: Context) -> FxRate:
    response = ctx.http.get(ctx.settings.naver_url, setting="OILFX_NAVER_URL")
    quote = parse(response.content, declared_charset(response))
    return FxRate(quote.rate, quote.as_of or ctx.now, quote.source)
