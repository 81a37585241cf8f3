"""The OAuth install shared by two bot processes on one Redis (REDIS_URL): the install page served by one, Slack's
redirect answered by the other (the state one issued, the other consumes, once), the installation then used by
both, and an uninstall handled by one seen by both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from oilfx.market import Quote, format_krw
from oilfx.slack.oauth_redis import PREFIX
from oilfx.store.redis_client import connect
from tests.fakes.bot_process import free_port
from tests.fakes.slack_server import FakeSlack, signed_request
from tests.test_oauth_install_e2e import OAuthBot, start_oauth_bot

TEAM = "T0SHARED1"


@pytest.fixture(scope="module")
def two_bots(openai_fake, pages, redis, tmp_path_factory) -> Iterator[tuple[OAuthBot, OAuthBot]]:
    slack = FakeSlack().start()
    slack.add_team(TEAM, "Shared")
    ports = free_port(), free_port()
    slack.redirect_url = f"http://127.0.0.1:{ports[1]}/slack/oauth_redirect"  # Slack sends the browser to b
    env = {**openai_fake.env(), **pages.env(), "REDIS_URL": redis.url}
    bots: list[OAuthBot] = []
    try:
        for name, port in zip("ab", ports, strict=True):
            bots.append(start_oauth_bot(slack, env, port, tmp_path_factory.mktemp(name) / "oilfx.db"))
        yield bots[0], bots[1]
    finally:
        for bot in bots:
            bot.process.stop()
        slack.stop()


def test_installed_through_one_process_answered_by_the_other_forgotten_by_both(two_bots, redis, quote: Quote):
    a, b = two_bots
    slack = a.slack
    slack.installing = TEAM
    done = a.install(TEAM)   # the page from a, the redirect to b
    assert done.status_code == 200, done.text
    b.wait_log(f"installed in team {TEAM}")
    keys = set(connect(redis.url).scan_iter(match=PREFIX + "*"))
    assert any(k.startswith(PREFIX + "bot:") and k.endswith(f":{TEAM}") for k in keys)
    assert not any(k.startswith(PREFIX + "state:") for k in keys)   # consumed

    ws = slack.teams[TEAM].workspace
    ask = ws.app_mention("WTI in won?", channel="C0SHARED")
    assert signed_request(a.events, ask, slack.signing_secret).status_code == 200   # a never saw the install
    figure = format_krw(quote.krw_per_barrel("WTI"))
    slack.wait_for(lambda: any(figure in m.all_text for m in slack.posted_in(TEAM, "C0SHARED")), 20,
                   what="the answer from bot a")
    assert {c.token for c in slack.calls if c.params.get("channel") == "C0SHARED"} == {slack.token_of(TEAM)}

    for payload in slack.uninstall(TEAM):
        assert signed_request(b.events, payload, slack.signing_secret).status_code == 200
    b.wait_log(f"team {TEAM} forgotten: installation removed, 1 conversations")
    again = ws.app_mention("still there?", channel="C0SHARED2")
    assert signed_request(a.events, again, slack.signing_secret).status_code == 200
    a.wait_log(f"request from team {TEAM} ignored: oilfx is not installed there")
    # nothing was even tried there (a post with the revoked token would be refused, so posted_in proves nothing)
    assert [c.method for c in slack.calls if c.params.get("channel") == "C0SHARED2"] == []
    assert not [k for k in connect(redis.url).scan_iter(match="oilfx:*") if TEAM in k]


def test_a_state_issued_by_one_process_is_refused_when_replayed_to_either(two_bots):
    a, b = two_bots
    page = requests.get(a.base + "/slack/install", timeout=10)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    state = cookie.split("=", 1)[1]
    forged = {"code": "1.bogus", "state": state}
    first = requests.get(b.base + "/slack/oauth_redirect", params=forged, headers={"Cookie": cookie}, timeout=10)
    assert first.status_code == 401 and "refused the authorization code" in first.text  # state ok, code bogus
    for bot in (a, b):
        again = requests.get(bot.base + "/slack/oauth_redirect", params=forged, headers={"Cookie": cookie},
                             timeout=10)
        assert again.status_code == 401 and "expired or was already used" in again.text
    b.wait_log("OAuth install failed (invalid_code)")
