"""ApiWatch on the bot's real Web API client (make_client) against the fake Slack: every error response is counted
by method and Slack's code, retried attempts included; the last outcome is /healthz's Slack state; Bolt's
per-request clients (which copy the app client's retry handlers) are watched too."""

from __future__ import annotations

from collections import Counter

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.config import load_settings
from oilfx.metrics import METRICS
from oilfx.slack.api_watch import ApiWatch, slack_check, watch_of
from oilfx.slack.app import make_client
from tests.fakes.bot_process import free_port
from tests.fakes.slack_server import FakeSlack


def errors(method: str, error: str) -> float:
    return METRICS.registry.get_sample_value("oilfx_slack_api_errors_total", {"method": method, "error": error}) or 0


def errors_of(method: str) -> Counter[str]:
    return Counter({s.labels["error"]: s.value for family in METRICS.registry.collect() for s in family.samples
                    if s.name == "oilfx_slack_api_errors_total" and s.labels["method"] == method})


def test_refusals_are_counted_and_only_a_token_refusal_means_disconnected(slack_server: FakeSlack):
    client = make_client(load_settings(slack_server.env()))
    watch = watch_of(client)
    assert watch is not None and watch.last is None
    client.auth_test()
    assert watch.last is not None and watch.last.method == "auth.test" and watch.last.connected
    assert slack_check(client)().ok

    before = errors("chat.postMessage", "channel_not_found")
    slack_server.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GONE", text="hi")
    assert errors("chat.postMessage", "channel_not_found") - before == 1
    assert watch.last.connected and slack_check(client)().ok   # Slack answered: the request was wrong, not the link

    before = errors("auth.test", "invalid_auth")
    slack_server.fail("auth.test", "invalid_auth")
    with pytest.raises(SlackApiError):
        client.auth_test()
    assert errors("auth.test", "invalid_auth") - before == 1
    result = slack_check(client)()
    assert not result.ok and "invalid_auth" in result.detail and result.facts["last_call"] == "auth.test"


def test_a_retried_5xx_is_counted_per_attempt_and_the_success_after_it_heals(slack_server: FakeSlack):
    client = make_client(load_settings(slack_server.env()))
    posted = client.chat_postMessage(channel="C0RETRY", text="first")
    before = errors("chat.update", "http_500")
    slack_server.server_error("chat.update", times=1)   # safe to repeat: the client's handler retries it
    client.chat_update(channel="C0RETRY", ts=posted["ts"], text="second")
    failed = [c for c in slack_server.calls_to("chat.update") if c.status >= 500]
    assert len(failed) == 1 and errors("chat.update", "http_500") - before == len(failed)
    assert watch_of(client).last.connected   # type: ignore[union-attr]


def test_a_connection_failure_is_counted_and_means_disconnected():
    # Only the watch here: make_client's connection-error handler would retry with seconds of backoff.
    client = WebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{free_port()}/api/", retry_handlers=[ApiWatch()])
    before = errors_of("auth.test")
    with pytest.raises(OSError) as raised:
        client.auth_test()
    name = type(raised.value).__name__   # e.g. URLError: the exception's name is the code
    assert errors_of("auth.test") - before == {name: 1}
    assert watch_of(client).last.error == name  # type: ignore[union-attr]
    result = slack_check(client)()
    assert not result.ok and name in result.detail


def test_bolt_per_request_clients_are_watched_too(slack_server: FakeSlack):
    client = make_client(load_settings(slack_server.env()))
    app = App(client=client, signing_secret="x", request_verification_enabled=False,
              token_verification_enabled=False, process_before_response=True)  # the listener runs in dispatch()
    used: list[WebClient] = []

    @app.event("app_mention")
    def on_mention(client: WebClient, event: dict) -> None:
        used.append(client)
        client.chat_postMessage(channel=event["channel"], text="hi")

    before = errors("chat.postMessage", "not_in_channel")
    slack_server.fail("chat.postMessage", "not_in_channel")
    app.dispatch(BoltRequest(body=slack_server.app_mention("hello", channel="C0OUT"), mode="socket_mode"))
    assert used and used[0] is not client   # Bolt's own client for the request, with our handlers copied
    assert errors("chat.postMessage", "not_in_channel") - before == 1


def test_a_refused_token_is_reported_with_that_token_and_other_refusals_are_not(slack_server: FakeSlack):
    """OAuth's authorize cache drops a token when Slack refuses it (app.build_app wires `rejected` to it)."""
    rejected: list[str] = []
    settings = load_settings(slack_server.env())
    client = make_client(settings, watch=ApiWatch(rejected.append))
    slack_server.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="hi")
    assert rejected == []                                    # the request was refused, not the token
    slack_server.fail("chat.postMessage", "account_inactive")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOWHERE", text="hi")
    assert rejected == [settings.slack_bot_token]


def test_a_refused_token_fails_health_with_one_token_but_not_with_a_token_per_workspace(slack_server: FakeSlack):
    """OAuth: every client shares the app's ApiWatch (build_app), so one workspace's dead token would fail the
    whole process's /healthz; there only reaching Slack counts."""
    settings = load_settings(slack_server.env())
    watch = ApiWatch()
    app_client, team_client = make_client(settings, watch=watch), make_client(settings, "xoxb-other-team", watch)
    assert watch_of(app_client) is watch_of(team_client) is watch
    slack_server.fail("chat.postMessage", "invalid_auth")
    with pytest.raises(SlackApiError):
        team_client.chat_postMessage(channel="C0NOWHERE", text="hi")
    single, per_workspace = slack_check(app_client)(), slack_check(app_client, token_refusal_fails=False)()
    assert not single.ok and "invalid_auth" in single.detail
    assert per_workspace.ok
