"""A market that always answers with one quote (and pump prices): the tools' MarketData over figures a test
already fetched from the fixture pages, so a registry can be called without a pages server per call."""

from __future__ import annotations

from collections.abc import Sequence

from oilfx.market.quote import FxRate, OilPrice, PumpPrice, Quote


class FixedMarket:
    def __init__(self, quote: Quote, pump: Sequence[PumpPrice] = ()) -> None:
        self._quote, self._pump = quote, list(pump)

    def oil(self) -> dict[str, OilPrice]:
        return self._quote.oil

    def fx(self) -> FxRate:
        return self._quote.fx

    def quote(self) -> Quote:
        return self._quote

    def pump(self) -> list[PumpPrice]:
        return self._pump
