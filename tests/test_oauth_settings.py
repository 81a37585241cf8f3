"""The OAuth install's settings and seams, without a bot process: what preflight says is missing for either mode,
the scopes the install asks for (the manifest's), where the SQLite install stores live, and clients(team)."""
# ruff: noqa: F811  (the `services` fixture is imported from test_turns.py and requested by name)

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from oilfx.config import ConfigError, load_settings
from oilfx.i18n import Lang
from oilfx.slack.clients import InstalledWorkspaces, NotInstalled, SingleWorkspace
from oilfx.slack.oauth import BOT_SCOPES, oauth_db_path, page_lang
from oilfx.slack.preflight import problems
from oilfx.slack.turns import TurnRunner
from oilfx.slack.writes import SlackCallFailed
from tests.test_oauth_uninstall import installation
from tests.test_turns import Inline, RecordingReply, request, services  # noqa: F401  (services: a fixture)

ROOT = Path(__file__).resolve().parent.parent
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "secret", "SLACK_SIGNING_SECRET": "sign",
         "OPENAI_API_KEY": "sk-1", "OILFX_LANG": "en"}


def test_oauth_mode_needs_both_credentials_the_signing_secret_and_http_mode():
    assert problems(load_settings(OAUTH)) == []
    assert load_settings(OAUTH).oauth and not load_settings({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}).oauth
    only_id = problems(load_settings({"SLACK_CLIENT_ID": "1111.2222", "OPENAI_API_KEY": "sk-1",
                                      "OILFX_LANG": "en"}))
    assert [p.split(" ")[0] for p in only_id] == ["SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"]
    assert "App Credentials" in only_id[0] and "SLACK_BOT_TOKEN for one workspace" in only_id[0]
    socket = problems(load_settings({**OAUTH, "SLACK_APP_TOKEN": "xapp-1"}))
    assert len(socket) == 1 and "HTTP mode only" in socket[0] and "unset SLACK_APP_TOKEN" in socket[0]


def test_without_any_slack_setting_both_ways_are_named():
    [bot, app, openai] = problems(load_settings({"OILFX_LANG": "en"}))
    assert bot.startswith("SLACK_BOT_TOKEN is missing") and "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in bot
    assert app.startswith("SLACK_APP_TOKEN is missing") and openai.startswith("OPENAI_API_KEY is missing")


def test_authorize_url_and_redirect_uri_are_checked_urls():
    settings = load_settings({**OAUTH, "SLACK_AUTHORIZE_URL": "http://127.0.0.1:9/oauth/v2/authorize"})
    assert settings.slack_authorize_url == "http://127.0.0.1:9/oauth/v2/authorize"
    with pytest.raises(ConfigError, match="SLACK_REDIRECT_URI"):
        load_settings({**OAUTH, "SLACK_REDIRECT_URI": "example.com/slack/oauth_redirect"})
    assert "secret" not in repr(settings)


def test_the_install_asks_for_the_manifests_scopes():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])


def test_install_stores_live_beside_the_store_file(tmp_path):
    assert oauth_db_path(load_settings({"OILFX_DB": str(tmp_path / "data" / "bot.db")})) == str(
        tmp_path / "data" / "bot.oauth.db")
    assert oauth_db_path(load_settings({})) == "oilfx.oauth.db"


def test_clients_for_teams_come_from_installations_cached_until_forgotten(tmp_path):
    installs = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id="1111.2222")
    now = [0.0]
    clients = InstalledWorkspaces(installs, lambda token: WebClient(token=token), ttl=60, clock=lambda: now[0])
    installs.save(installation("T1", "xoxb-one"))
    installs.save(installation("T2", "xoxb-two"))
    assert clients("T1").token == "xoxb-one" and clients("T2").token == "xoxb-two"
    assert clients("T1") is clients("T1")

    installs.save(installation("T1", "xoxb-reinstalled", at=now[0] + 1e9))
    assert clients("T1").token == "xoxb-one"          # cached for `ttl`
    now[0] += 61
    assert clients("T1").token == "xoxb-reinstalled"  # then read again

    installs.delete_all(enterprise_id=None, team_id="T2")
    clients.forget("T2")
    with pytest.raises(NotInstalled, match="no installation for team T2") as raised:
        clients("T2")
    assert isinstance(raised.value, SlackCallFailed)  # where a refused call is handled, so is this
    with pytest.raises(NotInstalled):
        clients("")


def test_one_workspace_is_one_client_for_every_team():
    client = WebClient(token="xoxb-1")
    clients = SingleWorkspace(client)
    assert clients("T1") is client and clients("T2") is client
    clients.forget("T1")
    assert clients("T1") is client


def test_a_turn_for_an_uninstalled_team_asks_no_model_and_finishes_its_event(services, tmp_path, caplog):
    installs = SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id="1111.2222")  # nobody installed
    reply = RecordingReply()
    runner = TurnRunner(services, InstalledWorkspaces(installs, lambda token: WebClient(token=token)), Inline(),
                        choose=lambda request, log: reply)
    runner.submit(request())
    assert services.engine.asked == [] and reply.calls == []   # no model round, nothing posted
    assert not services.store.claim_event("Ev1", 60)           # finished: a redelivery is not answered either
    assert "turn abandoned: installation lookup failed: no installation for team T1" in caplog.text


@pytest.mark.parametrize(("header", "default", "lang"), [
    ("ko-KR,ko;q=0.9,en-US;q=0.8", Lang.EN, Lang.KO),
    ("en-US,en;q=0.9,ko;q=0.8", Lang.KO, Lang.EN),
    ("fr-FR,ko;q=0.4,en;q=0.3", Lang.EN, Lang.KO),     # the first of ours by preference, not by place
    ("en;q=0.2, ko;q=0.7", Lang.EN, Lang.KO),
    ("fr-FR,de;q=0.5", Lang.EN, Lang.EN),                # none of ours: the workspace default
    ("ko;q=0", Lang.EN, Lang.EN),                        # q=0 means "not this one"
    ("", Lang.KO, Lang.KO),
])
def test_install_pages_take_the_browser_language(header: str, default: Lang, lang: Lang) -> None:
    request = BoltRequest(body="", headers={"accept-language": header} if header else {})
    assert page_lang(request, default) is lang
