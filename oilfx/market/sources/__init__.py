"""The market sources, by the names used in OILFX_OIL_SOURCES / OILFX_FX_SOURCES (see oilfx/config.py).

Each module has a pure `parse(body: bytes, ...)` and a `fetch(ctx, ...)` that requests only URLs built from settings.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from oilfx.market.quote import FxRate
from oilfx.market.sources import frankfurter, fred, knoc, naver_fx, naver_mobile, naver_oil, opinet
from oilfx.market.sources.base import Context, OilResult

OilFetch = Callable[[Context, Collection[str]], OilResult]
FxFetch = Callable[[Context], FxRate]

OIL_SOURCES: dict[str, OilFetch] = {"opinet": opinet.fetch, "naver": naver_oil.fetch, "fred": fred.fetch}
FX_SOURCES: dict[str, FxFetch] = {
    "naver": naver_fx.fetch, "naver_mobile": naver_mobile.fetch, "frankfurter": frankfurter.fetch,
}

__all__ = ["FX_SOURCES", "OIL_SOURCES", "Context", "OilResult", "knoc"]
