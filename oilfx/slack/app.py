"""build_app(settings, services): the Bolt app with oilfx's listeners, its Web API client pointed at
SLACK_API_URL with retries on rate limits and connection errors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from oilfx.config import Settings
from oilfx.services import Services
from oilfx.slack.deps import Deps
from oilfx.slack.listeners import register_listeners
from oilfx.slack.orphans import OrphanFinisher
from oilfx.slack.turns import TurnRunner

# Turns spend seconds waiting on OpenAI and market pages; size the pool for ~100 busy threads at once.
TURN_WORKERS = 100
# Bolt runs each listener (which only hands the turn to our pool) on this pool after acking.
LISTENER_WORKERS = 8


def prestarted(pool: ThreadPoolExecutor, workers: int) -> ThreadPoolExecutor:
    """Start all of `pool`'s threads now. ThreadPoolExecutor creates one per submit while none is idle, so the
    first burst after start-up paid for ~100 thread starts on the Socket Mode receive/ack path."""
    barrier = threading.Barrier(workers + 1)
    for _ in range(workers):
        pool.submit(barrier.wait)  # each waits, so the next submit finds no idle thread and starts one
    barrier.wait()
    return pool


def make_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=30,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


def build_app(settings: Settings, services: Services, client: WebClient | None = None,
              executor: ThreadPoolExecutor | None = None) -> App:
    """The app; calls auth.test once (Bolt's token verification), so a bad token fails here."""
    client = client or make_client(settings)
    executor = executor or prestarted(ThreadPoolExecutor(max_workers=TURN_WORKERS, thread_name_prefix="oilfx-turn"),
                                      TURN_WORKERS)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests come over our own authenticated websocket; HTTP requests must carry a signature.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        listener_executor=prestarted(ThreadPoolExecutor(max_workers=LISTENER_WORKERS,
                                                        thread_name_prefix="bolt-listener"), LISTENER_WORKERS),
    )
    runner = TurnRunner(services, client, executor)
    register_listeners(app, Deps(settings, services, client, executor, runner))
    OrphanFinisher(services, client, runner).start()  # what a killed process left (listed once; usually nothing)
    return app
