"""build_app(settings, services): the Bolt app with oilfx's listeners, its Web API client pointed at
SLACK_API_URL with retries on rate limits, connection errors and (for calls safe to repeat) 5xx and timeouts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from weakref import WeakKeyDictionary

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from oilfx.config import Settings
from oilfx.services import Services
from oilfx.slack.api_watch import ApiWatch
from oilfx.slack.clients import InstalledWorkspaces, SingleWorkspace, TeamClients
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


def turn_pool() -> ThreadPoolExecutor:
    """The pool turns and clicks run on after the ack (Deps.executor)."""
    return prestarted(ThreadPoolExecutor(max_workers=TURN_WORKERS, thread_name_prefix="oilfx-turn"), TURN_WORKERS)


def drain(pool: ThreadPoolExecutor, seconds: float) -> bool:
    """Stop taking work and let what runs finish; False when some still runs after `seconds` (it goes on: the
    interpreter waits for the pool's threads at exit, unless the process is killed first)."""
    waiter = threading.Thread(target=pool.shutdown, kwargs={"wait": True}, name="oilfx-drain", daemon=True)
    waiter.start()
    waiter.join(seconds)
    return not waiter.is_alive()


# Each built app's clients(team), for work that starts beside the app (the alerts announcer): team_clients(app).
_TEAM_CLIENTS: WeakKeyDictionary[App, TeamClients] = WeakKeyDictionary()


def team_clients(app: App) -> TeamClients:
    """The clients(team) seam of an app build_app made (clients.py): the one client, or each team's."""
    return _TEAM_CLIENTS[app]


def make_client(settings: Settings, token: str | None = None, watch: ApiWatch | None = None) -> WebClient:
    """`watch`: the ApiWatch that sees this client's responses (build_app gives every client the app's one, so
    /healthz sees the team clients' calls too); None: a new one."""
    # Retries: connection errors, rate limits, and 5xx / timeouts of calls safe to repeat (writes.py: posts are
    # retried there, after looking for the earlier attempt). The SDK's timeout is an int in its hints only.
    return WebClient(token=token or settings.slack_bot_token, base_url=settings.slack_api_url,
                     timeout=settings.slack_timeout,  # type: ignore[arg-type]
                     retry_handlers=[watch or ApiWatch(), *retry_handlers()])  # ApiWatch first: sees every response


def build_app(settings: Settings, services: Services, client: WebClient | None = None,
              executor: ThreadPoolExecutor | None = None) -> App:
    """The app; calls auth.test once (Bolt's token verification), so a bad token fails here. OAuth mode
    (settings.oauth): no token; each team's comes from its installation (oauth.py)."""
    # OAuth: Bolt's auth.test result per team token, so each request does not wait for one more Slack call;
    # dropped when Slack refuses that token (uninstalls delete the installation, which Bolt reads first).
    checked: dict[str, AuthorizeResult] = {}

    def forget(token: str) -> None:
        checked.pop(token, None)

    watch = ApiWatch(forget if settings.oauth else None)   # one for every client: /healthz reads the app client's
    client = client or make_client(settings, watch=watch)
    clients: TeamClients = SingleWorkspace(client)
    installations, oauth = None, None
    if settings.oauth:
        from oilfx.slack.oauth import oauth_settings, oauth_stores

        installations, states = oauth_stores(settings)
        clients = InstalledWorkspaces(installations, lambda token: make_client(settings, token, watch))
        oauth = oauth_settings(settings, installations, states, clients, checked)
    executor = executor or turn_pool()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests come over our own authenticated websocket; HTTP requests must carry a signature.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        oauth_settings=oauth,
        listener_executor=prestarted(ThreadPoolExecutor(max_workers=LISTENER_WORKERS,
                                                        thread_name_prefix="bolt-listener"), LISTENER_WORKERS),
    )
    _TEAM_CLIENTS[app] = clients
    runner = TurnRunner(services, clients, executor)
    register_listeners(app, Deps(settings, services, executor, runner, clients, installations))
    OrphanFinisher(services, clients, runner).start()  # what a killed process left (listed once; usually nothing)
    return app
