"""/healthz and /metrics of `python bot.py` in HTTP mode, on PORT beside /slack/events, with the Redis store: healthy,
then 503 naming the store while the redis-server is stopped, and healthy again once it is back. The request guard
still refuses unsigned Slack requests on the same port."""

from __future__ import annotations

import requests

from tests.fakes.bot_process import BotProcess, free_port
from tests.fakes.ops import families, get, poll
from tests.fakes.redis_server import RedisServer

FAMILIES = {"oilfx_turns": "counter", "oilfx_turn_duration_seconds": "histogram", "oilfx_model_rounds": "counter",
            "oilfx_model_tokens": "counter", "oilfx_tool_calls": "counter", "oilfx_tool_failures": "counter",
            "oilfx_source_fetches": "counter", "oilfx_source_failures": "counter",
            "oilfx_slack_api_errors": "counter"}


def test_healthz_on_port_turns_503_naming_the_store_while_redis_is_down(servers, redis_server: RedisServer, tmp_path):
    slack, openai_fake, pages = servers
    port, health_port = free_port(), free_port()
    env = {**slack.env(socket_mode=False), **openai_fake.env(), **pages.env(), "PORT": str(port),
           "OILFX_HEALTH_PORT": str(health_port),   # as docker-compose.yml sets it: both ports serve /healthz
           "OILFX_HTTP_HOST": "127.0.0.1", "REDIS_URL": redis_server.url, "OILFX_DB": str(tmp_path / "oilfx.db")}
    base = f"http://127.0.0.1:{port}"
    bot = BotProcess(env).start()
    try:
        healthy = poll(lambda: get(base + "/healthz"), lambda r: r.status_code == 200, what="a healthy bot")
        body = healthy.json()
        assert body["failed"] == [] and body["checks"]["store"]["ok"] and body["checks"]["slack"]["ok"]
        assert "socket_connected" not in body["checks"]["slack"]   # HTTP mode: the last Web API call says it
        assert body["checks"]["slack"]["last_error"] is None
        assert get(f"http://127.0.0.1:{health_port}/healthz").json()["failed"] == []
        metrics = get(base + "/metrics")
        assert metrics.status_code == 200
        assert families(metrics.text) == FAMILIES   # declared before anything was counted
        # Slack's own route is still behind the guard: unsigned is refused, not answered.
        assert requests.post(base + "/slack/events", json={"type": "event_callback"}, timeout=10).status_code == 401

        redis_server.stop()
        down = get(base + "/healthz")
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "unhealthy" and body["failed"] == ["store"]
        assert body["checks"]["store"]["ok"] is False and body["checks"]["store"]["detail"]
        assert body["checks"]["slack"]["ok"] and body["checks"]["market"]["ok"]

        redis_server.start()
        poll(lambda: get(base + "/healthz"), lambda r: r.status_code == 200, what="healthy again after Redis")
        for text in (down.text, healthy.text, metrics.text):
            for secret in (slack.bot_token, slack.signing_secret, env["OPENAI_API_KEY"]):
                assert secret not in text
    finally:
        bot.stop()
    assert "health check failed: store" in bot.log()
