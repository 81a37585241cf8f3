"""Frankfurter (ECB reference rates, no key): `<frankfurter_url>?from=USD&to=KRW`
-> `{"amount":1.0,"base":"USD","date":"2026-11-24","rates":{"KRW":1380.5}}`.

ECB reference rates are set around 16:00 CET on TARGET working days, so a day's rate is dated 16:00 Frankfurt time.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from oilfx.market.errors import SourceError
from oilfx.market.http import decode
from oilfx.market.quote import FxRate
from oilfx.market.sources.base import Context, parse_decimal

NAME = "Frankfurter (ECB)"
_FRANKFURT = ZoneInfo("Europe/Berlin")


def latest_url(frankfurter_url: str) -> str:
    return f"{frankfurter_url}?from=USD&to=KRW"


def parse(body: bytes) -> tuple[Decimal, datetime]:
    try:
        # parse_float keeps the rate exact: 1380.5 never becomes a binary float.
        doc = json.loads(decode(body, "utf-8"), parse_float=Decimal)
    except json.JSONDecodeError:
        raise SourceError("Frankfurter: response is not JSON") from None
    try:
        rate = parse_decimal(str(doc["rates"]["KRW"]))
        day = date.fromisoformat(doc["date"])
        amount = Decimal(str(doc.get("amount", 1)))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        raise SourceError("Frankfurter JSON changed: no rates.KRW or date") from None
    if doc.get("base", "USD") != "USD" or amount <= 0:
        raise SourceError(f"Frankfurter: unexpected base {doc.get('base')!r} amount {amount}")
    return rate / amount, datetime.combine(day, time(16, 0), tzinfo=_FRANKFURT)


def fetch(ctx: Context) -> FxRate:
    rate, as_of = parse(ctx.http.get(latest_url(ctx.settings.frankfurter_url), setting="OILFX_FRANKFURTER_URL").content)
    return FxRate(rate, as_of, NAME)
