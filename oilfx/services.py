"""Wires Settings into the running parts: store -> market (cached through the store) -> tools -> engine.

Used by bot.py; the CLI can use it too. Nothing here knows about Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from oilfx.config import Settings
from oilfx.engines import Engine, make_engine
from oilfx.market import Market
from oilfx.store import open_store
from oilfx.store.alert_desk import StoreAlertDesk
from oilfx.store.base import Store
from oilfx.tools import ToolRegistry, default_registry

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    store: Store
    market: Market
    registry: ToolRegistry
    engine: Engine
    # Sets alerts (checked against the market, within OILFX_MAX_ALERTS): the same desk for `/oilprice alert` and the
    # model's create_alert tool
    alert_desk: StoreAlertDesk

    def close(self) -> None:
        self.store.close()


def build_services(settings: Settings) -> Services:
    """Raises StoreError (store unusable, or its SQLite file in use by another bot) or EngineError (e.g. no
    OPENAI_API_KEY); both say what to fix."""
    store = open_store(settings, exclusive=True)  # the running bot: one process per SQLite file
    try:
        market = Market(settings, cache=store.quote_cache())
        desk = StoreAlertDesk(store, market, settings.max_alerts)
        registry = default_registry(market, desk)
        engine = make_engine(settings, registry, store, stream=settings.stream)
    except Exception:
        store.close()
        raise
    return Services(settings, store, market, registry, engine, desk)
