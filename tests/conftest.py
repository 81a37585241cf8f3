"""Shared fixtures. Each fake lives in tests/fakes/; its pytest fixtures are imported here so every test sees them."""
from tests.fakes.module_fakes import (  # noqa: F401  (module-scoped: one set per test module)
    openai_fake,
    pages,
    quote,
    servers,
    slack,
)
from tests.fakes.openai_server import fake_openai  # noqa: F401
from tests.fakes.pages import pages_env, pages_server  # noqa: F401
from tests.fakes.redis_server import module_redis, redis_server, redis_url  # noqa: F401
from tests.fakes.slack_server import slack_server  # noqa: F401
