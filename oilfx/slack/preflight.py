"""Before the bot starts: every missing or malformed setting, each with where to get the right value, in the
workspace's language (OILFX_LANG, default ko). Variable names, menu paths on api.slack.com (which Slack shows in
English only) and token prefixes stay verbatim in both languages, so an operator can search for them."""

from __future__ import annotations

from oilfx.config import Settings
from oilfx.i18n import Lang, Msg, Texts, lazy, texts

BOT_TOKEN_HOWTO = lazy("api.slack.com/apps -> your app -> OAuth & Permissions -> Bot User OAuth Token "
                       "(starts with xoxb-)")
APP_TOKEN_HOWTO = lazy("api.slack.com/apps -> your app -> Basic Information -> App-Level Tokens -> a token with "
                       "scope connections:write (starts with xapp-)")
SIGNING_HOWTO = lazy("api.slack.com/apps -> your app -> Basic Information -> App Credentials -> Signing Secret")
CLIENT_HOWTO = lazy("api.slack.com/apps -> your app -> Basic Information -> App Credentials -> Client ID and "
                    "Client Secret")
OPENAI_HOWTO = lazy("platform.openai.com -> API keys (starts with sk-); for an OpenAI-compatible server set "
                    "OPENAI_BASE_URL and any key it accepts")


def problems(settings: Settings) -> list[str]:
    """One sentence per problem, in settings.lang; empty when the bot can start."""
    return [texts(settings.lang).render(p) for p in _problems(settings)]


def _problems(settings: Settings) -> list[Msg]:
    found: list[Msg] = []
    bot = settings.slack_bot_token
    if settings.oauth:
        return oauth_problems(settings) + openai_problems(settings)
    if not bot:
        found.append(lazy("SLACK_BOT_TOKEN is missing: {howto}; or, to install the bot in many workspaces (HTTP "
                          "mode), set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead: {client_howto}",
                          howto=BOT_TOKEN_HOWTO, client_howto=CLIENT_HOWTO))
    elif bot.startswith("xapp-"):
        found.append(lazy("SLACK_BOT_TOKEN looks wrong: it is an app-level token (xapp-), not a bot token: {howto}",
                          howto=BOT_TOKEN_HOWTO))
    elif not bot.startswith("xoxb-"):
        found.append(lazy("SLACK_BOT_TOKEN looks wrong: it is a token starting {start}, not a bot token: {howto}",
                          start=repr(bot[:5]), howto=BOT_TOKEN_HOWTO))
    app = settings.slack_app_token
    if app and app.startswith("xoxb-"):
        found.append(lazy("SLACK_APP_TOKEN looks wrong: it is a bot token (xoxb-), not an app-level token: {howto}",
                          howto=APP_TOKEN_HOWTO))
    elif app and not app.startswith("xapp-"):
        found.append(lazy("SLACK_APP_TOKEN looks wrong: it is a token starting {start}, not an app-level token: "
                          "{howto}", start=repr(app[:5]), howto=APP_TOKEN_HOWTO))
    if not app and not settings.slack_signing_secret:
        found.append(lazy("SLACK_APP_TOKEN is missing (Socket Mode, recommended): {howto}; or, for HTTP mode, "
                          "SLACK_SIGNING_SECRET is missing: {signing_howto}", howto=APP_TOKEN_HOWTO,
                          signing_howto=SIGNING_HOWTO))
    return found + openai_problems(settings)


def oauth_problems(settings: Settings) -> list[Msg]:
    """The OAuth install (no bot token, client credentials): HTTP mode with both credentials and the signing
    secret; each workspace's token then comes from its installation."""
    found: list[Msg] = []
    for var, value in (("SLACK_CLIENT_ID", settings.slack_client_id),
                       ("SLACK_CLIENT_SECRET", settings.slack_client_secret)):
        if not value:
            found.append(lazy("{var} is missing (installing in many workspaces needs SLACK_CLIENT_ID and "
                              "SLACK_CLIENT_SECRET): {howto}; or set SLACK_BOT_TOKEN for one workspace",
                              var=var, howto=CLIENT_HOWTO))
    if settings.slack_app_token:
        found.append(lazy("SLACK_APP_TOKEN is set, but the OAuth install (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET "
                          "without SLACK_BOT_TOKEN) runs in HTTP mode only: unset SLACK_APP_TOKEN, or set "
                          "SLACK_BOT_TOKEN for one workspace in Socket Mode"))
    if not settings.slack_signing_secret:
        found.append(lazy("SLACK_SIGNING_SECRET is missing (the OAuth install runs in HTTP mode): {howto}",
                          howto=SIGNING_HOWTO))
    return found


def openai_problems(settings: Settings) -> list[Msg]:
    return [] if settings.openai_api_key else [lazy("OPENAI_API_KEY is missing: {howto}", howto=OPENAI_HOWTO)]


def start_texts(settings: Settings | None, env_lang: str | None) -> Texts:
    """The language of `python bot.py`'s start-up failures: the settings' when they could be read, else
    OILFX_LANG's if it names one, else the default (ko)."""
    if settings is not None:
        return texts(settings.lang)
    return texts(Lang.parse(env_lang) or Lang.KO)
