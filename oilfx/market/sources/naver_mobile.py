"""Naver mobile market JSON: `<naver_mobile_url>productDetail?category=exchange&reutersCode=FX_USDKRW`
-> `result.closePrice` ("1,381.50"); `result.localTradedAt` (ISO 8601 with offset) when present."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from urllib.parse import urljoin

from oilfx.market.errors import SourceError
from oilfx.market.http import decode
from oilfx.market.quote import KST, FxRate
from oilfx.market.sources.base import Context, parse_decimal

NAME = "Naver mobile"


def detail_url(naver_mobile_url: str) -> str:
    return urljoin(naver_mobile_url, "productDetail?category=exchange&reutersCode=FX_USDKRW")


def parse(body: bytes) -> tuple[Decimal, datetime | None]:
    try:
        doc = json.loads(decode(body, "utf-8"))
    except json.JSONDecodeError:
        raise SourceError("Naver mobile: response is not JSON") from None
    result = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(result, dict):
        raise SourceError("Naver mobile JSON changed: no result.closePrice")
    return parse_item(result)


def parse_item(result: dict) -> tuple[Decimal, datetime | None]:
    """The fields productDetail's `result` shares with the items of Naver's exchange list (`closePrice` "1,381.50",
    `localTradedAt` "2024-06-14T17:16:26+09:00"): the only saved response is of that list, so it is what proves
    these two fields' formats."""
    if not isinstance(result.get("closePrice"), str | int | float):
        raise SourceError("Naver mobile JSON changed: no result.closePrice")
    try:
        rate = parse_decimal(str(result["closePrice"]))
    except ValueError as e:
        raise SourceError(f"Naver mobile JSON changed: closePrice {e}") from None
    as_of = None
    if isinstance(traded := result.get("localTradedAt"), str):
        try:
            as_of = datetime.fromisoformat(traded)
        except ValueError:
            as_of = None
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=KST)
    return rate, as_of


def fetch(ctx: Context) -> FxRate:
    response = ctx.http.get(detail_url(ctx.settings.naver_mobile_url), setting="OILFX_NAVER_MOBILE_URL")
    rate, as_of = parse(response.content)
    return FxRate(rate, as_of or ctx.now, NAME)
