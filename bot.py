"""Run the oilfx Slack bot: `python bot.py` (settings from the environment and ./.env).

Socket Mode when SLACK_APP_TOKEN is set; otherwise HTTP mode on PORT (requests at /slack/events, signed with
SLACK_SIGNING_SECRET). With SLACK_CLIENT_ID/SECRET and no bot token, also the OAuth install (oilfx/slack/oauth.py).
/healthz and /metrics are served on PORT in HTTP mode, and on OILFX_HEALTH_PORT when it is set (the only way in
Socket Mode). A missing or malformed setting prints what to set and where to get it, and exits 2.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from dotenv import find_dotenv, load_dotenv

from oilfx.config import ConfigError, Settings, load_settings
from oilfx.engines import EngineError
from oilfx.health import Health, MarketCheck, store_check
from oilfx.health_http import OpsRoutes
from oilfx.i18n import Lang, Texts
from oilfx.logs import setup_logging
from oilfx.slack.preflight import BOT_TOKEN_HOWTO, problems, start_texts
from oilfx.store import StoreError

logger = logging.getLogger("oilfx.bot")

# Slack Socket Mode delivers events on our websocket; handle many envelopes at once (events are acked as they are
# read, commands and clicks by Bolt; our pool does the work).
SOCKET_CONCURRENCY = 32
# The client checks its socket once per ping interval (Bolt's default 10 s) and calls a silent one stale after 4
# intervals: with 1 s a closed connection is replaced within ~1-2 s and a cut one (no close frame, no FIN) within
# ~5-6 s, instead of 10-40 s in which Slack's events would wait on a dead socket. A starved process is not a
# silent socket: see oilfx/slack/socket_mode.py.
SOCKET_PING_INTERVAL = 1.0
HTTP_PATH = "/slack/events"


def fail(lines: list[str], tx: Texts) -> int:
    print(tx.t("oilfx cannot start:") + "\n" + "\n".join(f"  - {line}" for line in lines), file=sys.stderr)
    return 2


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        logger.debug("http: " + format, *args)


def bind(wsgi_app, host: str, port: int, var: str) -> WSGIServer:  # type: ignore[no-untyped-def]
    """Bound before anything else starts: a port that cannot be had is a setting to fix (ConfigError, exit 2)."""
    try:
        return make_server(host, port, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    except OSError as e:  # the port is taken (or privileged), or the host is no address of this machine
        raise ConfigError(f"cannot listen on {host}:{port} ({e.strerror or e}); "
                          f"set {var} (and OILFX_HTTP_HOST) to a free port on this machine") from None


def http_server(app, settings: Settings, health: Health) -> WSGIServer:  # type: ignore[no-untyped-def]
    """Slack's requests at HTTP_PATH, behind the request guard; /healthz and /metrics beside them."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from oilfx.slack.http_guard import RequestGuard

    handler = RequestGuard(SlackRequestHandler(app, path=HTTP_PATH), settings.slack_signing_secret or "")
    return bind(OpsRoutes(health, app=handler), settings.http_host, settings.port, "PORT")


def run_http(server: WSGIServer, settings: Settings) -> None:
    logger.info("listening for Slack requests on http://%s:%d%s", settings.http_host, server.server_port, HTTP_PATH)
    server.serve_forever()


def socket_handler(app, settings: Settings):  # type: ignore[no-untyped-def]
    from oilfx.slack.app import prestarted
    from oilfx.slack.socket_mode import BurstSafeHandler

    handler = BurstSafeHandler(app, settings.slack_app_token or "", concurrency=SOCKET_CONCURRENCY,
                               ping_interval=SOCKET_PING_INTERVAL)
    prestarted(handler.client.message_workers, SOCKET_CONCURRENCY)  # commands and clicks are acked from these
    return handler


def serve_health(server: WSGIServer, settings: Settings) -> None:
    logger.info("serving /healthz and /metrics on http://%s:%d", settings.http_host, server.server_port)
    threading.Thread(target=server.serve_forever, name="oilfx-health", daemon=True).start()


def check_market(settings: Settings, market: MarketCheck) -> None:
    """`python -m oilfx doctor` in one log line, at start and every market.recheck seconds, for /healthz. Runs in
    its own thread: a slow or dead source never delays start."""
    from oilfx.market.doctor import check

    while True:
        try:
            report = check(settings)
        except Exception as e:
            logger.exception("market source check failed")
            market.failed(type(e).__name__)
        else:
            market.record(report)
            (logger.info if report.ok else logger.warning)("%s", report.summary())
        time.sleep(market.recheck)


# How long a stopping bot lets turns in flight finish before it stops waiting: under `docker stop`'s 10 s.
DRAIN_SECONDS = 8.0


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    # `docker stop` and systemd send SIGTERM: unwind like Ctrl-C, so the alert thread stops and the store closes.
    raise KeyboardInterrupt


def main() -> int:
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = load_settings()
    except ConfigError as e:   # the settings could not be read: the message in OILFX_LANG's language if it names one
        return fail([str(e)], start_texts(None, os.environ.get("OILFX_LANG")))
    tx = start_texts(settings, None)
    if found := problems(settings):
        return fail(found, tx)
    setup_logging(settings.log_level)
    # Compile the Korean catalog now, not inside the first turn: its reply's first post waits for it (~0.1 s, more
    # on a busy machine), and a reply registered late leaves a process killed mid-turn holding more (the quote
    # cache's fill lock) for the next one to wait out. (English needs no catalog: catalog.translations.)
    from oilfx.i18n.catalog import translations

    translations(Lang.KO)

    from slack_bolt.error import BoltError

    from oilfx.services import build_services
    from oilfx.slack.announce import start_announcer
    from oilfx.slack.app import build_app, drain, team_clients, turn_pool

    try:
        services = build_services(settings)
    except (StoreError, EngineError) as e:
        return fail([tx.render(getattr(e, "text", None) or str(e))], tx)   # an engine's reason is ours to translate
    pool = turn_pool()
    try:
        app = build_app(settings, services, executor=pool)
    except BoltError as e:  # auth.test failed: wrong or revoked token, or SLACK_API_URL unreachable
        pool.shutdown(wait=False)
        services.close()
        return fail([tx.t("Slack refused the bot token ({error}); check SLACK_BOT_TOKEN: {howto}", error=e,
                          howto=BOT_TOKEN_HOWTO)], tx)
    from oilfx.slack.api_watch import slack_check

    socket = socket_handler(app, settings) if settings.socket_mode else None
    market = MarketCheck()
    slack = slack_check(app.client, socket.client if socket else None, token_refusal_fails=not settings.oauth)
    health = Health({"store": store_check(services.store), "slack": slack, "market": market})
    try:
        server = None if settings.socket_mode else http_server(app, settings, health)
        ops = None if settings.health_port is None else bind(OpsRoutes(health), settings.http_host,
                                                                 settings.health_port, "OILFX_HEALTH_PORT")
    except ConfigError as e:
        services.close()
        return fail([str(e)], tx)
    threading.Thread(target=check_market, args=(settings, market), name="oilfx-market-check", daemon=True).start()
    announcer = start_announcer(services, team_clients(app))  # alerts and digests, each with its team's token
    mode = "socket mode" if settings.socket_mode else f"HTTP mode on port {settings.port}"
    mode += ", OAuth install at /slack/install (a token per workspace)" if settings.oauth else ""
    logger.info("oilfx starting: %s, engine %s (model %s), store %r, Slack API %s",
                mode, services.engine.name, settings.model, services.store, settings.slack_api_url)
    if ops is not None:
        serve_health(ops, settings)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if socket is not None:
            socket.start()
        else:
            assert server is not None
            run_http(server, settings)
    except KeyboardInterrupt:
        pass
    finally:
        announcer.stop()
        if socket is not None:
            socket.close()  # take no new events: unacked ones go to another process (or to us after a restart)
        if drain(pool, DRAIN_SECONDS):
            services.close()
            logger.info("oilfx stopped")
        else:  # the store stays open for them; a kill before they end leaves replies for the orphan finisher
            logger.warning("oilfx stopping: turns still running after %g s are finished before the process exits",
                           DRAIN_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
