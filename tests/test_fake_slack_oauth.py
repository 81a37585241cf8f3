"""The fake Slack's OAuth half (tests/fakes/slack_oauth.py) through the real slack_sdk client: what Slack answers
for each mistake an app can make in oauth.v2.access, a token per workspace, and revoked or inactive tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_server import FakeSlack

REDIRECT = "https://bot.example/slack/oauth_redirect"


def code_for(fake: FakeSlack, team: str, redirect_uri: str | None = REDIRECT) -> str:
    fake.installing = team
    query = {"client_id": fake.client_id, "scope": "chat:write,commands", "state": "s1"}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    page = requests.get(fake.base_url + "oauth/v2/authorize", params=query, allow_redirects=False, timeout=5)
    assert page.status_code == 302
    where = urlsplit(page.headers["Location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == (redirect_uri or fake.redirect_url)
    found = parse_qs(where.query)
    assert found["state"] == ["s1"]
    return found["code"][0]


def refused(call) -> str:
    with pytest.raises(SlackApiError) as e:
        call()
    return e.value.response["error"]


def test_oauth_v2_access_answers_with_the_workspace_token_once(slack_server: FakeSlack):
    fake = slack_server
    ws = fake.add_team("T0ONE", "One")
    client = WebClient(base_url=fake.api_url)
    code = code_for(fake, "T0ONE")
    ok = client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret, code=code,
                                redirect_uri=REDIRECT)
    assert ok["team"] == {"name": "One", "id": "T0ONE"} and ok["bot_user_id"] == ws.bot_user_id
    assert ok["access_token"] == fake.token_of("T0ONE") and ok["token_type"] == "bot"
    assert ok["scope"] == "chat:write,commands" and ok["authed_user"] == {"id": ws.user_id}
    assert ok["enterprise"] is None and ok["is_enterprise_install"] is False
    again = refused(lambda: client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret,
                                                   code=code, redirect_uri=REDIRECT))
    assert again == "invalid_code"   # a code works once
    team_client = WebClient(token=ok["access_token"], base_url=fake.api_url)
    assert team_client.auth_test()["team_id"] == "T0ONE"
    # The default workspace is unchanged beside it.
    assert WebClient(token=fake.bot_token, base_url=fake.api_url).auth_test()["team_id"] == fake.workspace.team_id


def test_each_mistake_gets_slacks_error(slack_server: FakeSlack):
    fake = slack_server
    fake.add_team("T0ONE")
    client = WebClient(base_url=fake.api_url)
    code = code_for(fake, "T0ONE")
    assert refused(lambda: client.oauth_v2_access(client_id="999.999", client_secret=fake.client_secret,
                                                  code=code)) == "invalid_client_id"
    assert refused(lambda: client.oauth_v2_access(client_id=fake.client_id, client_secret="wrong",
                                                  code=code)) == "bad_client_secret"
    assert refused(lambda: client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret,
                                                  code=code, redirect_uri="https://other/")) == "bad_redirect_uri"
    assert refused(lambda: client.oauth_v2_access(client_id=fake.client_id, client_secret=fake.client_secret,
                                                  code="made-up")) == "invalid_code"
    fake.deny = True
    page = requests.get(fake.base_url + "oauth/v2/authorize", allow_redirects=False, timeout=5,
                        params={"client_id": fake.client_id, "state": "s2", "redirect_uri": REDIRECT})
    assert parse_qs(urlsplit(page.headers["Location"]).query) == {"error": ["access_denied"], "state": ["s2"]}
    bad = requests.get(fake.base_url + "oauth/v2/authorize", params={"client_id": "nope"}, allow_redirects=False,
                       timeout=5)
    assert bad.status_code == 400 and "Location" not in bad.headers


def test_uninstalled_and_inactive_workspaces_refuse_their_tokens(slack_server: FakeSlack):
    fake = slack_server
    fake.add_team("T0ONE")
    fake.add_team("T0TWO")
    tokens = {}
    for team in ("T0ONE", "T0TWO"):
        code = code_for(fake, team)
        tokens[team] = WebClient(base_url=fake.api_url).oauth_v2_access(
            client_id=fake.client_id, client_secret=fake.client_secret, code=code,
            redirect_uri=REDIRECT)["access_token"]
    one, two = (WebClient(token=tokens[t], base_url=fake.api_url) for t in ("T0ONE", "T0TWO"))
    posted = one.chat_postMessage(channel="C0SAME", text="hi one")
    two.chat_postMessage(channel="C0SAME", text="hi two")
    assert [m.text for m in fake.posted_in("T0ONE", "C0SAME")] == ["hi one"]
    assert [m.text for m in fake.posted_in("T0TWO", "C0SAME")] == ["hi two"]
    assert fake.message_team[("C0SAME", posted["ts"])] == "T0ONE"

    events = fake.uninstall("T0ONE")
    assert [e["event"]["type"] for e in events] == ["tokens_revoked", "app_uninstalled"]
    assert all(e["team_id"] == "T0ONE" for e in events)
    assert refused(lambda: one.auth_test()) == "token_revoked"
    fake.deactivate("T0TWO")
    assert refused(lambda: two.chat_postMessage(channel="C0SAME", text="x")) == "account_inactive"
    assert refused(lambda: WebClient(token="xoxb-T0ONE-guess", base_url=fake.api_url).auth_test()) == "invalid_auth"


def test_a_workspace_cannot_touch_another_workspaces_message_with_the_same_ids(slack_server: FakeSlack):
    """Two workspaces may have the same channel id; a token sees only its own workspace's messages, as in Slack."""
    fake = slack_server
    clients = {}
    for team in ("T0MINE", "T0THEIRS"):
        fake.add_team(team)
        ok = WebClient(base_url=fake.api_url).oauth_v2_access(client_id=fake.client_id,
                                                               client_secret=fake.client_secret,
                                                               code=code_for(fake, team), redirect_uri=REDIRECT)
        clients[team] = WebClient(token=ok["access_token"], base_url=fake.api_url)
    mine, theirs = clients["T0MINE"], clients["T0THEIRS"]
    posted = mine.chat_postMessage(channel="C0SAMEID01", text="ours")
    assert refused(lambda: theirs.chat_update(channel="C0SAMEID01", ts=posted["ts"], text="x")) == "message_not_found"
    assert refused(lambda: theirs.chat_delete(channel="C0SAMEID01", ts=posted["ts"])) == "message_not_found"
    assert refused(lambda: theirs.conversations_replies(channel="C0SAMEID01", ts=posted["ts"])) == "thread_not_found"
    assert mine.chat_update(channel="C0SAMEID01", ts=posted["ts"], text="still ours")["ok"]


def test_a_redirect_uri_outside_the_apps_redirect_url_is_refused_on_the_page(slack_server: FakeSlack):
    fake = slack_server
    fake.add_team("T0REDIR")
    fake.redirect_url = REDIRECT
    try:
        assert code_for(fake, "T0REDIR", REDIRECT + "/below")           # a path under it is allowed
        query = {"client_id": fake.client_id, "scope": "chat:write", "state": "s1",
                 "redirect_uri": "https://evil.example/slack/oauth_redirect"}
        page = requests.get(fake.base_url + "oauth/v2/authorize", params=query, allow_redirects=False, timeout=5)
        assert page.status_code == 400 and "bad_redirect_uri" in page.text and "Location" not in page.headers
    finally:
        fake.redirect_url = None
