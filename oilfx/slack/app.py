"""build_app(settings, services): the Bolt app with oilfx's listeners, its Web API client pointed at
SLACK_API_URL with retries on rate limits, connection errors and (for calls safe to repeat) 5xx and timeouts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from oilfx.config import Settings
from oilfx.services import Services
from oilfx.slack.deps import Deps
from oilfx.slack.listeners import register_listeners
from oilfx.slack.orphans import OrphanFinisher
from oilfx.slack.turns import TurnRunner
from oilfx.slack.writes import retry_handlers

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
    # Retries: connection errors, rate limits, and 5xx / timeouts of calls safe to repeat (writes.py: posts are
    # retried there, after looking for the earlier attempt). The SDK's timeout is an int in its hints only.
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                     timeout=settings.slack_timeout, retry_handlers=retry_handlers())  # type: ignore[arg-type]


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
