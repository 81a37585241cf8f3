"""Market data: crude benchmarks (USD/bbl) and USD/KRW from live sources with fallbacks, cached, in Decimal."""

from oilfx.market.cache import MemoryCache, QuoteCache
from oilfx.market.errors import MarketUnavailable, SourceError
from oilfx.market.market import Market
from oilfx.market.quote import (
    BENCHMARKS,
    KST,
    LITRES_PER_BARREL,
    FxRate,
    OilPrice,
    PumpPrice,
    Quote,
    canonical_benchmark,
    format_krw,
    format_krw_litre,
    format_kst,
    format_rate,
    format_usd,
    is_stale,
    krw_per_barrel,
    krw_per_litre,
    last_trading_day,
    now_utc,
)

__all__ = [
    "BENCHMARKS", "KST", "LITRES_PER_BARREL", "FxRate", "Market", "MarketUnavailable", "MemoryCache", "OilPrice",
    "PumpPrice", "Quote", "QuoteCache", "SourceError", "canonical_benchmark", "format_krw", "format_krw_litre",
    "format_kst", "format_rate", "format_usd", "is_stale", "krw_per_barrel", "krw_per_litre", "last_trading_day",
    "now_utc",
]
