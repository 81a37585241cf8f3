"""health.py and health_http.py without a bot: the market check over real doctor reports (fixture pages, some
taken down), its age against an injected clock, a check that hangs or raises, and the WSGI routes."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from oilfx.config import ConfigError, load_settings
from oilfx.health import CheckResult, Health, MarketCheck, store_check
from oilfx.health_http import OpsRoutes
from oilfx.market.doctor import PUMP, check
from oilfx.metrics import Metrics, TurnOutcome
from oilfx.store import open_store
from tests.fakes.ops import samples
from tests.fakes.pages import FRED_PATH, KNOC_PATH, NAVER_WORLD_PATH, OPINET_PATH


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_market_check_is_pending_then_reports_the_source_check(pages_server, pages_env):
    clock = Clock()
    market = MarketCheck(recheck=600, clock=clock)
    assert market().ok and "pending" in market().detail
    report = check(load_settings(pages_env))
    market.record(report)
    clock.now += 42
    result = market()
    assert result.ok and result.detail == report.summary()
    assert result.facts["age_seconds"] == 42 and str(result.facts["checked_at"]).endswith("KST")


def test_market_check_fails_naming_a_benchmark_without_source_but_not_pump_prices(pages_server, pages_env):
    pages_server.set(KNOC_PATH, status=503)
    market = MarketCheck()
    report = check(load_settings(pages_env))
    assert [q.quantity for q in report.quantities if q.source is None] == [PUMP]
    market.record(report)
    assert market().ok   # pump prices missing degrade one tool; crude and the rate still answer

    for path in (OPINET_PATH, NAVER_WORLD_PATH, FRED_PATH):
        pages_server.set(path, status=503)
    report = check(load_settings(pages_env))
    market.record(report)
    result = market()
    unserved = [q.quantity for q in report.quantities if q.source is None and q.quantity != PUMP]
    assert not result.ok and unserved and all(q in result.detail for q in unserved)


def test_market_check_fails_when_the_checker_stopped_or_crashed(pages_server, pages_env):
    clock = Clock()
    market = MarketCheck(recheck=60, clock=clock)
    market.record(check(load_settings(pages_env)))
    clock.now += 2 * 60 + 1
    assert not market().ok and "stopped" in market().detail
    market.failed("RuntimeError")
    assert not market().ok and "RuntimeError" in market().detail


def test_a_check_that_hangs_or_raises_fails_alone_within_the_deadline():
    release = threading.Event()

    def hangs() -> CheckResult:
        release.wait(10)
        return CheckResult(True, "late")

    def raises() -> CheckResult:
        raise RuntimeError("boom")

    health = Health({"slow": hangs, "broken": raises, "fine": lambda: CheckResult(True, "ok")}, timeout=0.2)
    try:
        report = health.run()
    finally:
        release.set()
    assert report.status == 503 and report.failed == ["slow", "broken"]
    body = json.loads(report.body())
    assert body["checks"]["slow"]["detail"] == "no answer within 0.2 s"
    assert body["checks"]["broken"]["detail"] == "RuntimeError: boom" and body["checks"]["fine"]["ok"]


def test_store_check_reads_the_sqlite_store(tmp_path):
    store = open_store(load_settings({"OILFX_DB": str(tmp_path / "oilfx.db")}))
    try:
        result = store_check(store)()
        assert result.ok and "SqliteStore" in result.detail
    finally:
        store.close()
    assert not Health({"store": store_check(store)}).run().ok   # a closed store fails the check


def call(app: Any, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": "", "wsgi.input": io.BytesIO(b"")}
    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_routes_serve_health_and_metrics_and_hand_everything_else_on():
    metrics = Metrics()
    metrics.tool_call("oil_price", None)
    inner_calls = []

    def slack_routes(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inner_calls.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"slack"]

    routes = OpsRoutes(Health({"store": lambda: CheckResult(True, "ok")}), app=slack_routes, metrics=metrics)
    status, headers, body = call(routes, "/healthz")
    assert status == "200 OK" and headers["Content-Type"] == "application/json" and json.loads(body)["failed"] == []
    status, headers, body = call(routes, "/healthz", "HEAD")
    assert status == "200 OK" and body == b"" and int(headers["Content-Length"]) > 0
    assert call(routes, "/healthz", "POST")[0].startswith("405")
    status, _, body = call(routes, "/metrics")
    assert status == "200 OK"
    assert samples(body.decode())[("oilfx_tool_calls_total", frozenset({("tool", "oil_price")}))] == 1
    assert call(routes, "/slack/events", "POST")[2] == b"slack" and inner_calls == ["/slack/events"]
    assert call(OpsRoutes(Health({})), "/slack/events")[0].startswith("404")


def exposition(metrics: Metrics) -> dict:
    return samples(call(OpsRoutes(Health({}), metrics=metrics), "/metrics")[2].decode())


@pytest.mark.parametrize(("kind", "label"), [("mention", "mention"), ("dm", "dm"), ("assistant", "other"),
                                             ("<@U123> what?", "other"), ("xoxb-1234-secret", "other")])
def test_turn_kinds_are_bounded_labels(kind: str, label: str):
    metrics = Metrics()
    metrics.turn(kind, TurnOutcome.ANSWERED, 1.5)
    found = exposition(metrics)
    assert {dict(labels)["kind"] for (name, labels) in found if name == "oilfx_turns_total"} == {label}
    assert found[("oilfx_turn_duration_seconds_sum", frozenset({("kind", label)}))] == 1.5


@pytest.mark.parametrize(("error", "label"), [("channel_not_found", "channel_not_found"), ("http_503", "http_503"),
                                              ("Received a response in a non-JSON format", "other"),
                                              ("e" * 65, "other")])
def test_slack_error_codes_are_bounded_labels(error: str, label: str):
    metrics = Metrics()
    metrics.slack_api_error("chat.postMessage", error)
    found = exposition(metrics)
    assert found[("oilfx_slack_api_errors_total", frozenset({("method", "chat.postMessage"), ("error", label)}))] == 1


def test_health_port_setting_is_a_port_or_unset():
    assert load_settings({}).health_port is None
    assert load_settings({"OILFX_HEALTH_PORT": "8080"}).health_port == 8080
    for bad in ("0", "65536", "http", "80.5"):
        with pytest.raises(ConfigError, match="OILFX_HEALTH_PORT"):
            load_settings({"OILFX_HEALTH_PORT": bad})
