"""The operators' routes, as WSGI: GET /healthz (health.py's checks: 200 or 503 with JSON) and GET /metrics
(Prometheus text, served by prometheus_client's own WSGI app: it picks the format from the scraper's Accept header
and gzips when asked). In HTTP mode they sit in front of the Slack routes on PORT, so Slack's request guard (which
refuses unsigned requests) never sees them; in Socket Mode they are the whole app on OILFX_HEALTH_PORT."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app

from oilfx.health import Health
from oilfx.metrics import METRICS, Metrics

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_PHRASES = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class OpsRoutes:
    """/healthz and /metrics here; any other path goes to `app` (the Slack routes), or gets 404 without one."""

    def __init__(self, health: Health, app: WsgiApp | None = None, metrics: Metrics = METRICS) -> None:
        self.health, self.app = health, app
        self.metrics_app = make_wsgi_app(metrics.registry)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in (HEALTH_PATH, METRICS_PATH):
            if self.app is not None:
                return self.app(environ, start_response)
            return _respond(start_response, 404, b"not found", "text/plain; charset=utf-8")
        if path == METRICS_PATH:
            return self.metrics_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _respond(start_response, 405, b"GET only", "text/plain; charset=utf-8", [("Allow", "GET, HEAD")])
        report = self.health.run()
        if not report.ok:
            log.warning("health check failed: %s", ", ".join(report.failed))
        body = report.body()
        return _respond(start_response, report.status, b"" if method == "HEAD" else body, "application/json",
                        length=len(body))


def _respond(start_response: StartResponse, status: int, body: bytes, content_type: str,
             extra: list[tuple[str, str]] | None = None, length: int | None = None) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body) if length is None else length)),
               ("Cache-Control", "no-store"), *(extra or [])]
    start_response(f"{status} {_PHRASES[status]}", headers)
    return [body]
