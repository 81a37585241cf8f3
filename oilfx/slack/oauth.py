"""The OAuth install for many workspaces (HTTP mode, SLACK_CLIENT_ID + SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN):
Bolt's OAuthSettings serving /slack/install and /slack/oauth_redirect over our installation and state stores.

Stores: slack_sdk's SQLite ones in a file beside OILFX_DB (one process), or the Redis ones in oauth_redis.py when
REDIS_URL is set (several processes share installs and the state an installer's browser carries between them).
Slack's endpoints are settings: oauth.v2.access goes to SLACK_API_URL (the app's client), the authorize page is
SLACK_AUTHORIZE_URL, so tests run the whole flow against the fake Slack.

Every way an install can fail (the user cancelled, a forged or replayed state, a code Slack refuses) ends in a
page that says what happened and one log line; Bolt saves an installation only after oauth.v2.access and
auth.test both succeeded, so nothing is stored half-done. The success and failure pages are in the browser's
language (Accept-Language: Korean or English, whichever it prefers), else in OILFX_LANG's (page_lang). Bolt's own
/slack/install page (the "Add to Slack" button) is not ours to word.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from oilfx.config import Settings
from oilfx.i18n import Lang, Msg, Texts, lazy, texts
from oilfx.slack.clients import TeamClients

logger = logging.getLogger(__name__)

# The bot scopes manifest.yml grants (tests/test_oauth_settings.py checks they are the same); files:write uploads
# charts into threads, users:read reads each user's locale.
BOT_SCOPES = ("app_mentions:read", "assistant:write", "channels:history", "chat:write", "commands", "files:write",
              "groups:history", "im:history", "mpim:history", "users:read")
STATE_SECONDS = 600  # how long an install link's state is valid (Bolt's default)

# What the installer reads for each of Bolt's failure reasons (anything else: Slack's own error code).
FAILURES: dict[str, Msg] = {
    "access_denied": lazy("The installation was cancelled in Slack, so oilfx was not installed. Nothing was saved."),
    "invalid_browser": lazy("This install link was not started in this browser (or its cookie is gone). "
                            "Start again from the install page."),
    "invalid_state": lazy("This install link has expired or was already used. Start again from the install page."),
    "missing_code": lazy("Slack's answer had no authorization code. Start again from the install page."),
    "invalid_code": lazy("Slack refused the authorization code (expired, already used, or the app's client "
                         "credentials or redirect URL do not match). Start again from the install page."),
    "storage_error": lazy("oilfx could not save the installation. Try again in a minute."),
}


def page_lang(request: BoltRequest, default: Lang) -> Lang:
    """The install pages' language: the browser's most preferred of ko and en (its Accept-Language header, by
    q-value), else the workspace default (OILFX_LANG). Nobody is signed in yet, so there is no Slack locale to
    read; the browser is the installer's own choice."""
    header = ",".join(request.headers.get("accept-language", []))
    ranked: list[tuple[float, int, Lang]] = []
    for i, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        lang = Lang.parse(tag)
        if lang is None:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, lang))
    return min(ranked)[2] if ranked else default


def oauth_db_path(settings: Settings) -> str:
    """The SQLite file of installations and install states, beside OILFX_DB (oilfx.db -> oilfx.oauth.db)."""
    db = Path(settings.db_path)
    return str(db.with_name(db.stem + ".oauth" + (db.suffix or ".db")))


def oauth_stores(settings: Settings) -> tuple[InstallationStore, OAuthStateStore]:
    """Installations and install states: Redis when REDIS_URL is set, else SQLite beside OILFX_DB."""
    if settings.redis_url:
        from oilfx.slack.oauth_redis import RedisInstallationStore, RedisOAuthStateStore
        from oilfx.store.redis_client import connect

        redis = connect(settings.redis_url)
        return (RedisInstallationStore(redis, settings.slack_client_id or ""),
                RedisOAuthStateStore(redis, STATE_SECONDS))
    path = oauth_db_path(settings)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return (SQLite3InstallationStore(database=path, client_id=settings.slack_client_id or ""),
            SQLite3OAuthStateStore(database=path, expiration_seconds=STATE_SECONDS))


def oauth_settings(settings: Settings, installations: InstallationStore, states: OAuthStateStore,
                   clients: TeamClients, checked: dict[str, AuthorizeResult] | None = None) -> OAuthSettings:
    """`checked`: where authorize keeps each team token's auth.test result (Bolt's cache; the app drops a token
    from it when Slack refuses that token). None: every request checks its token with auth.test."""
    def installed(args: SuccessArgs) -> BoltResponse:
        found = args.installation
        clients.forget(found.team_id or "")  # a reinstall's new token is used from the next call on
        logger.info("installed in team %s (%s), bot user %s, scopes %s", found.team_id, found.team_name,
                    found.bot_user_id, found.bot_scopes)
        response = args.default.success(args)  # Bolt's: the status, and the state cookie cleared
        response.body = success_page(texts(page_lang(args.request, settings.lang)), found.team_id,
                                     found.team_name, found.app_id)
        response.headers["content-type"] = ["text/html; charset=utf-8"]
        return response

    def failed(args: FailureArgs) -> BoltResponse:
        text = FAILURES.get(args.reason) or lazy("Slack reported {reason}; nothing was installed. Start again "
                                                 "from the install page.", reason=repr(args.reason))
        logger.warning("OAuth install failed (%s): %s", args.reason, text)
        response = args.default.failure(args)  # Bolt's: the status, and the state cookie cleared
        tx = texts(page_lang(args.request, settings.lang))
        response.body = _page(tx, tx.t("oilfx was not installed"), tx.render(text))
        response.headers["content-type"] = ["text/html; charset=utf-8"]
        return response

    found = OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri, authorization_url=settings.slack_authorize_url,
        installation_store=installations, installation_store_bot_only=True, state_store=states,
        state_expiration_seconds=STATE_SECONDS, callback_options=CallbackOptions(success=installed, failure=failed),
        logger=logger)
    # Bolt's authorize, saying why a team's request cannot be served (Bolt logs only that it was not found).
    authorize = TeamAuthorize(logger=logger, installation_store=installations, bot_only=True,
                              cache_enabled=checked is not None)
    if checked is not None:
        authorize.authorize_result_cache = checked
    found.authorize = authorize
    return found


class TeamAuthorize(InstallationStoreAuthorize):
    """Each request's team token from its installation (Bolt's InstallationStoreAuthorize, which checks it with
    auth.test, once per token when its cache is on); when there is none, one log line says which team and why:
    never installed (or uninstalled), or Slack rejects its token (`invalid_auth`, `token_revoked`,
    `account_inactive`: the workspace is gone)."""

    def __call__(self, *, context: BoltContext, enterprise_id: str | None, team_id: str | None,
                 user_id: str | None, **kwargs: object) -> AuthorizeResult | None:
        result = super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                                  **kwargs)  # type: ignore[arg-type]
        if result is None:
            bot = self.installation_store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
            if bot is None or not bot.bot_token:
                logger.warning("request from team %s ignored: oilfx is not installed there (never installed, or "
                               "uninstalled); it can be installed from /slack/install", team_id)
            else:
                try:  # the failure Bolt's authorize swallowed: ask once more, for the error code
                    context.client.auth_test(token=bot.bot_token)
                    why = "its token could not be checked"
                except SlackApiError as e:
                    why = f"Slack rejects its token ({e.response.get('error')})"
                logger.warning("request from team %s ignored: %s; reinstalling oilfx there makes a new one",
                               team_id, why)
        return result


def success_page(tx: Texts, team_id: str | None, team_name: str | None, app_id: str | None) -> str:
    """Bolt's success page in the installer's language: it opens the workspace in the Slack app at once, with
    links to it and to the browser version."""
    app_url = f"slack://app?team={team_id}&id={app_id}" if team_id and app_id else "slack://open"
    browser_url = f"https://app.slack.com/client/{team_id}" if team_id else "https://app.slack.com/client"
    text = (tx.t("oilfx is installed in {workspace}. Mention @oilfx in a channel, or write to it in a direct "
                 "message.", workspace=team_name or team_id or "Slack"))
    # translated outside the f-strings: Babel does not look inside them
    open_app, open_browser = html.escape(tx.t("Open Slack")), html.escape(tx.t("Open Slack in the browser"))
    links = (f'<p><a href="{html.escape(app_url)}">{open_app}</a> · '
             f'<a href="{html.escape(browser_url)}" target="_blank">{open_browser}</a></p>')
    return _page(tx, tx.t("oilfx is installed"), text, head=f'<meta http-equiv="refresh" content="0; '
                                                            f'URL={html.escape(app_url)}">', links=links)


def _page(tx: Texts, title: str, text: str, head: str = "", links: str | None = None) -> str:
    if links is None:
        install = html.escape(tx.t("Install page"))   # outside the f-string, where Babel finds it
        links = f'<p><a href="/slack/install">{install}</a></p>'
    return (f'<!doctype html><html lang="{tx.lang.value}"><head><meta charset="utf-8">{head}'
            f"<title>{html.escape(title)}</title></head>"
            f"<body><h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>{links}</body></html>")
