"""Module-scoped loopback fakes for end-to-end modules that start a bot process once per module.

They are exposed through tests/conftest.py; a module-scoped fixture is set up once per test module that uses it,
so every end-to-end module gets its own servers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oilfx.config import load_settings
from oilfx.market import Market, Quote
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack


@pytest.fixture(scope="module")
def pages() -> Iterator[PagesServer]:
    server = PagesServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def openai_fake() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def quote(pages: PagesServer) -> Quote:
    """The fixture pages' values through the market module: what every expected figure is computed from."""
    return Market(load_settings(pages.env())).quote()


@pytest.fixture(scope="module")
def servers(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer) -> tuple[FakeSlack, FakeOpenAI, PagesServer]:
    """The three fakes of this module, for tests that take them together."""
    return slack, openai_fake, pages
