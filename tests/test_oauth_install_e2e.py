"""The OAuth install end to end: `python bot.py` in HTTP mode with SLACK_CLIENT_ID/SECRET and no bot token,
against the fake Slack's authorize page and oauth.v2.access (tests/fakes/slack_oauth.py).

Two workspaces install it the way a browser does (install page -> Slack's authorize page -> redirect with code
and state -> oauth.v2.access -> installation stored); then each asks in a channel with the same id at the same
ts, and each gets its own answer, posted with its own token, in its own conversation. Uninstalling one forgets
it and leaves the other; a forged or replayed state, a cancelled install and a rejected token each get a clear
page or log line and store nothing.
"""

from __future__ import annotations

import html
import re
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from oilfx.i18n import KO
from oilfx.market import Quote, format_krw
from oilfx.slack.oauth import FAILURES
from tests.fakes.bot_process import BotProcess, free_port
from tests.fakes.slack_server import FakeSlack, signed_request

SAME_CHANNEL = "C0SAME001"   # both workspaces have a channel with this id


class OAuthBot:
    def __init__(self, slack: FakeSlack, process: BotProcess, port: int, db: Path) -> None:
        self.slack, self.process, self.db = slack, process, db
        self.base = f"http://127.0.0.1:{port}"
        self.events = self.base + "/slack/events"

    def install(self, team: str) -> requests.Response:
        """A browser installing into `team`: returns the bot's answer to Slack's redirect."""
        self.slack.installing = team
        page = requests.get(self.base + "/slack/install", timeout=10)
        assert page.status_code == 200, page.text
        authorize = html.unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text).group(1))
        cookie = page.headers["Set-Cookie"].split(";")[0]   # Secure: a browser keeps it for the https bot
        slack_page = requests.get(authorize, allow_redirects=False, timeout=10)
        assert slack_page.status_code == 302
        return requests.get(slack_page.headers["Location"], headers={"Cookie": cookie}, timeout=10)

    def rows(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()

    def wait_log(self, fragment: str, timeout: float = 15.0) -> str:
        """The bot's log once it has `fragment` (another process's file: re-read every 20 ms until then)."""
        deadline = time.monotonic() + timeout
        while fragment not in (log := self.process.log()):
            if time.monotonic() > deadline or not self.process.alive:
                pytest.fail(f"no log line with {fragment!r} after {timeout}s; the bot's log:\n{log}")
            time.sleep(0.02)
        return log


def start_oauth_bot(slack: FakeSlack, env: dict[str, str], port: int, db: Path) -> OAuthBot:
    """`python bot.py` in OAuth mode on `port`, once it listens (else the test fails with its log)."""
    process = BotProcess({**slack.oauth_env(), "PORT": str(port), "OILFX_HTTP_HOST": "127.0.0.1",
                          "OILFX_DB": str(db), **env}).start()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return OAuthBot(slack, process, port, db)
        except OSError:
            if time.monotonic() > deadline or not process.alive:
                process.stop()
                pytest.fail(f"OAuth bot did not listen on {port}; its log:\n{process.log()}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def oauth_bot(openai_fake, pages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthBot]:
    slack = FakeSlack().start()
    slack.add_team("T0TEAMONE", "Team One")
    slack.add_team("T0TEAMTWO", "Team Two")
    port = free_port()
    slack.redirect_url = f"http://127.0.0.1:{port}/slack/oauth_redirect"
    try:
        bot = start_oauth_bot(slack, {**openai_fake.env(), **pages.env()}, port,
                              tmp_path_factory.mktemp("oauth") / "oilfx.db")
    except BaseException:
        slack.stop()
        raise
    yield bot
    bot.process.stop()
    slack.stop()


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(oauth_bot: OAuthBot, quote: Quote):
    slack = oauth_bot.slack
    for team in ("T0TEAMONE", "T0TEAMTWO"):
        done = oauth_bot.install(team)
        assert done.status_code == 200, done.text
        oauth_bot.wait_log(f"installed in team {team}")
    oauth_db = oauth_bot.db.with_name("oilfx.oauth.db")
    with sqlite3.connect(oauth_db) as db:
        stored = dict(db.execute("SELECT team_id, bot_token FROM slack_bots"))
    assert stored == {"T0TEAMONE": slack.token_of("T0TEAMONE"), "T0TEAMTWO": slack.token_of("T0TEAMTWO")}
    access = slack.calls_to("oauth.v2.access")
    assert len(access) == 2 and all(c.ok and c.token is None for c in access)  # Basic auth, not a token

    one, two = slack.teams["T0TEAMONE"].workspace, slack.teams["T0TEAMTWO"].workspace
    ts = slack.next_ts()  # the same channel id and the same ts in both workspaces: only the team tells them apart
    asks = {"T0TEAMONE": one.app_mention("WTI in won?", channel=SAME_CHANNEL, ts=ts),
            "T0TEAMTWO": two.app_mention("Brent in won?", channel=SAME_CHANNEL, ts=ts)}
    for payload in asks.values():
        assert signed_request(oauth_bot.events, payload, slack.signing_secret).status_code == 200
    expected = {"T0TEAMONE": format_krw(quote.krw_per_barrel("WTI")),
                "T0TEAMTWO": format_krw(quote.krw_per_barrel("Brent"))}
    for team, figure in expected.items():
        slack.wait_for(lambda t=team, f=figure: any(f in m.all_text for m in slack.posted_in(t, SAME_CHANNEL)),
                       20, what=f"{team}'s answer with {figure}")
    for team, figure in expected.items():
        other = expected["T0TEAMTWO" if team == "T0TEAMONE" else "T0TEAMONE"]
        mine = slack.posted_in(team, SAME_CHANNEL)
        assert all(m.thread == ts for m in mine) and any(figure in m.all_text for m in mine)
        assert not any(other in m.all_text for m in mine), f"{team} got the other workspace's answer"
    # Every Web API call in the channel carried the token of the team it answered.
    writes = [c for c in slack.calls if c.params.get("channel") == SAME_CHANNEL]
    assert writes and all(c.token in (slack.token_of("T0TEAMONE"), slack.token_of("T0TEAMTWO")) for c in writes)
    for key, team in slack.message_team.items():
        if key[0] == SAME_CHANNEL:
            assert any(c.token == slack.token_of(team) and c.response.get("ts") == key[1] for c in writes)
    # One conversation per workspace, each its own.
    rows = oauth_bot.rows("SELECT team, channel, thread_ts, ref FROM conversations WHERE channel=?", SAME_CHANNEL)
    assert sorted(r[0] for r in rows) == ["T0TEAMONE", "T0TEAMTWO"] and len({r[3] for r in rows}) == 2
    assert {r[2] for r in rows} == {ts}


def test_uninstall_forgets_that_workspace_and_keeps_the_other(oauth_bot: OAuthBot):
    slack = oauth_bot.slack
    if not oauth_bot.rows("SELECT 1 FROM conversations WHERE team='T0TEAMONE'"):
        pytest.skip("needs the install test's conversations")
    for payload in slack.uninstall("T0TEAMONE"):
        assert signed_request(oauth_bot.events, payload, slack.signing_secret).status_code == 200
    log = oauth_bot.wait_log("team T0TEAMONE forgotten")
    assert re.search(r"team T0TEAMONE forgotten: installation removed, 1 conversations, .*1 messages, "
                     r"[1-9]\d* records", log), log
    with sqlite3.connect(oauth_bot.db.with_name("oilfx.oauth.db")) as db:
        assert [r[0] for r in db.execute("SELECT team_id FROM slack_bots")] == ["T0TEAMTWO"]
        assert [r[0] for r in db.execute("SELECT DISTINCT team_id FROM slack_installations")] == ["T0TEAMTWO"]
    assert [r[0] for r in oauth_bot.rows("SELECT team FROM conversations")] == ["T0TEAMTWO"]
    assert [r[0] for r in oauth_bot.rows("SELECT team FROM messages")] == ["T0TEAMTWO"]
    assert not any('"team": "T0TEAMONE"' in v for (v,) in oauth_bot.rows("SELECT value FROM meta"))
    assert any('"team": "T0TEAMTWO"' in v for (v,) in oauth_bot.rows("SELECT value FROM meta"))

    # The uninstalled workspace is not answered (and says so in the log); the other still is.
    before = len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage"))
    gone = slack.teams["T0TEAMONE"].workspace.app_mention("still there?", channel="C0GONE")
    assert signed_request(oauth_bot.events, gone, slack.signing_secret).status_code == 200
    oauth_bot.wait_log("request from team T0TEAMONE ignored: oilfx is not installed there")
    assert len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage")) == before


def test_cancelled_forged_and_replayed_installs_store_nothing(oauth_bot: OAuthBot):
    slack = oauth_bot.slack
    slack.add_team("T0TEAMTRY", "Team Try")
    slack.installing = "T0TEAMTRY"
    page = requests.get(oauth_bot.base + "/slack/install", timeout=10)
    authorize = html.unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text).group(1))
    cookie = page.headers["Set-Cookie"].split(";")[0]
    state = cookie.split("=", 1)[1]
    redirect = oauth_bot.base + "/slack/oauth_redirect"

    slack.deny = True  # the installer presses Cancel
    try:
        cancelled = requests.get(requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"],
                                 headers={"Cookie": cookie}, timeout=10)
    finally:
        slack.deny = False
    assert "installation was cancelled" in cancelled.text
    oauth_bot.wait_log("OAuth install failed (access_denied)")

    # A state the bot never issued (a forged link), with a matching cookie so only the state store can tell.
    forged = requests.get(redirect, params={"code": "1.fake", "state": "forged-state"},
                          headers={"Cookie": "slack-app-oauth-state=forged-state"}, timeout=10)
    assert forged.status_code == 401 and "expired or was already used" in forged.text
    # The real state without the installer's cookie (a link sent to someone else's browser).
    stolen = requests.get(redirect, params={"code": "1.fake", "state": state}, timeout=10)
    assert stolen.status_code == 400 and "not started in this browser" in stolen.text

    # A good install, then the same redirect again (a replay): the state was used once.
    location = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    assert requests.get(location, headers={"Cookie": cookie}, timeout=10).status_code == 200
    replayed = requests.get(location, headers={"Cookie": cookie}, timeout=10)
    assert replayed.status_code == 401 and "expired or was already used" in replayed.text
    oauth_bot.wait_log("OAuth install failed (invalid_state)")
    oauth_bot.wait_log("OAuth install failed (invalid_browser)")
    with sqlite3.connect(oauth_bot.db.with_name("oilfx.oauth.db")) as db:
        assert db.execute("SELECT count(*) FROM slack_bots WHERE team_id='T0TEAMTRY'").fetchone()[0] == 1


def test_a_token_slack_rejects_is_named_in_the_log(oauth_bot: OAuthBot):
    """Bolt's auth.test result is kept per token (no extra Slack call per request): a token that goes bad while
    its installation stays is noticed by the first call Slack refuses (that turn posts nothing) and forgotten, so
    the next request is checked again and refused before any work, naming the team and Slack's reason."""
    slack = oauth_bot.slack
    if slack.token_of("T0TEAMTWO") is None:
        pytest.skip("needs the install test's installation")
    slack.deactivate("T0TEAMTWO")
    first = slack.teams["T0TEAMTWO"].workspace.app_mention("WTI?", channel=SAME_CHANNEL)
    assert signed_request(oauth_bot.events, first, slack.signing_secret).status_code == 200
    oauth_bot.wait_log("turn abandoned: cannot post in the channel (chat.postMessage failed: account_inactive)")
    before = len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage"))
    payload = slack.teams["T0TEAMTWO"].workspace.app_mention("WTI?", channel=SAME_CHANNEL)
    assert signed_request(oauth_bot.events, payload, slack.signing_secret).status_code == 200
    oauth_bot.wait_log("request from team T0TEAMTWO ignored: Slack rejects its token (account_inactive)")
    assert len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage")) == before
    assert slack.token_of("T0TEAMTWO") not in oauth_bot.process.log()


def test_each_token_is_checked_with_auth_test_once_not_per_request(oauth_bot: OAuthBot, quote: Quote):
    slack, team = oauth_bot.slack, "T0TEAMCHECK"
    slack.add_team(team)
    done = oauth_bot.install(team)
    assert done.status_code == 200, done.text
    oauth_bot.wait_log(f"installed in team {team}")
    token = slack.token_of(team)
    checks = lambda: sum(1 for c in slack.calls_to("auth.test") if c.token == token)  # noqa: E731
    counted = []
    for i in range(4):
        payload = slack.teams[team].workspace.app_mention("WTI in won?", channel=f"C0CHECKED{i}")
        assert signed_request(oauth_bot.events, payload, slack.signing_secret).status_code == 200
        slack.wait_for(lambda c=f"C0CHECKED{i}": any(format_krw(quote.krw_per_barrel("WTI")) in m.all_text
                                                     for m in slack.posted_in(team, c)), 20,
                       what=f"the answer in C0CHECKED{i}")
        counted.append(checks())
    assert counted[0] >= 1 and counted[1:] == [counted[0]] * 3   # checked once, then never per request


def test_install_pages_follow_the_browser_language(oauth_bot: OAuthBot):
    """The bot's default here is English (OILFX_LANG=en): a browser preferring Korean gets Korean pages, one
    preferring English (Korean second) English ones."""
    slack, team = oauth_bot.slack, "T0TEAMKO"
    slack.add_team(team, "팀 코리아")
    slack.installing = team
    korean = {"Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"}
    page = requests.get(oauth_bot.base + "/slack/install", headers=korean, timeout=10)
    authorize = html.unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text).group(1))
    cookie = page.headers["Set-Cookie"].split(";")[0]
    location = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    done = requests.get(location, headers={"Cookie": cookie, **korean}, timeout=10)
    assert done.status_code == 200, done.text
    text = html.unescape(done.text)
    assert '<html lang="ko">' in text and f"<h2>{KO.t('oilfx is installed')}</h2>" in text
    assert KO.t("oilfx is installed in {workspace}. Mention @oilfx in a channel, or write to it in a direct "
                "message.", workspace="팀 코리아") in text
    assert f"slack://app?team={team}" in text and KO.t("Open Slack in the browser") in text
    oauth_bot.wait_log(f"installed in team {team}")

    replayed = requests.get(location, headers={"Cookie": cookie, **korean}, timeout=10)
    assert replayed.status_code == 401
    assert KO.render(FAILURES["invalid_state"]) in html.unescape(replayed.text)
    assert KO.t("oilfx was not installed") in html.unescape(replayed.text)
    english = requests.get(location, headers={"Cookie": cookie, "Accept-Language": "en-GB,en;q=0.9,ko;q=0.5"},
                           timeout=10)
    assert english.status_code == 401 and "This install link has expired or was already used" in english.text
    assert '<html lang="en">' in english.text
