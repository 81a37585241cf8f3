"""The tools' tests read the fixture pages through a real Market, on the reference day."""

from __future__ import annotations

import pytest

from oilfx.config import load_settings
from oilfx.market import Market
from tests.fakes.pages import PagesServer
from tests.tools.reference import SEED_DAY


@pytest.fixture
def market(pages_server: PagesServer) -> Market:
    return Market(load_settings(pages_server.env()), clock=lambda: SEED_DAY)
