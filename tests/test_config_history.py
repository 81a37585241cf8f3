"""The history settings: the fallback orders and the cache lifetime, refused with the variable named when bad."""

from __future__ import annotations

import pytest

from oilfx.config import HISTORY_FX_SOURCES, HISTORY_OIL_SOURCES, ConfigError, load_settings
from oilfx.market.history.combine import FX_HISTORY, OIL_HISTORY


def test_defaults_are_every_source_and_hours() -> None:
    settings = load_settings({})
    assert settings.history_oil_sources == HISTORY_OIL_SOURCES and set(HISTORY_OIL_SOURCES) == set(OIL_HISTORY)
    assert settings.history_fx_sources == HISTORY_FX_SOURCES and set(HISTORY_FX_SOURCES) == set(FX_HISTORY)
    assert settings.history_ttl >= 3600


def test_orders_are_read_as_given() -> None:
    settings = load_settings({"OILFX_HISTORY_OIL_SOURCES": " FRED, naver ", "OILFX_HISTORY_FX_SOURCES": "naver"})
    assert settings.history_oil_sources == ("fred", "naver") and settings.history_fx_sources == ("naver",)


@pytest.mark.parametrize(("var", "value", "says"), [
    ("OILFX_HISTORY_OIL_SOURCES", "opinet,yahoo", "unknown source(s) yahoo; choose from opinet, fred, naver"),
    ("OILFX_HISTORY_FX_SOURCES", "naver_mobile", "unknown source(s) naver_mobile; choose from frankfurter, naver"),
    ("OILFX_HISTORY_OIL_SOURCES", ",", "unknown source(s) (empty)"),
    ("OILFX_HISTORY_TTL", "-1", "expected a number of seconds from 0 to 604,800 (0: never reuse), got '-1'"),
    ("OILFX_HISTORY_TTL", "inf", "from 0 to 604,800"),
    ("OILFX_HISTORY_TTL", "6h", "from 0 to 604,800"),
])
def test_bad_values_name_the_variable(var: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({var: value})
    assert str(refused.value).startswith(f"{var}: ") and says in str(refused.value)


@pytest.mark.parametrize(("value", "ttl"), [("0", 0.0), ("604800", 604800.0), ("21600", 21600.0)])
def test_ttl_edges(value: str, ttl: float) -> None:
    assert load_settings({"OILFX_HISTORY_TTL": value}).history_ttl == ttl
