"""Before the bot starts: every missing or malformed setting, each with where to get the right value."""

from __future__ import annotations

from oilfx.config import Settings

APPS = "api.slack.com/apps -> your app"
BOT_TOKEN_HOWTO = f"{APPS} -> OAuth & Permissions -> Bot User OAuth Token (starts with xoxb-)"
APP_TOKEN_HOWTO = (f"{APPS} -> Basic Information -> App-Level Tokens -> a token with scope connections:write "
                   "(starts with xapp-)")
SIGNING_HOWTO = f"{APPS} -> Basic Information -> App Credentials -> Signing Secret"
CLIENT_HOWTO = f"{APPS} -> Basic Information -> App Credentials -> Client ID and Client Secret"
OAUTH_INSTEAD = ("; or, to install the bot in many workspaces (HTTP mode), set SLACK_CLIENT_ID and "
                 "SLACK_CLIENT_SECRET instead: " + CLIENT_HOWTO)
OPENAI_HOWTO = ("platform.openai.com -> API keys (starts with sk-); for an OpenAI-compatible server set "
                "OPENAI_BASE_URL and any key it accepts")


def problems(settings: Settings) -> list[str]:
    """One sentence per problem; empty when the bot can start."""
    found: list[str] = []
    bot = settings.slack_bot_token
    if settings.oauth:
        return oauth_problems(settings) + openai_problems(settings)
    if not bot:
        found.append(f"SLACK_BOT_TOKEN is missing: {BOT_TOKEN_HOWTO}{OAUTH_INSTEAD}")
    elif not bot.startswith("xoxb-"):
        kind = "an app-level token (xapp-)" if bot.startswith("xapp-") else f"a token starting {bot[:5]!r}"
        found.append(f"SLACK_BOT_TOKEN looks wrong: it is {kind}, not a bot token: {BOT_TOKEN_HOWTO}")
    app = settings.slack_app_token
    if app and not app.startswith("xapp-"):
        kind = "a bot token (xoxb-)" if app.startswith("xoxb-") else f"a token starting {app[:5]!r}"
        found.append(f"SLACK_APP_TOKEN looks wrong: it is {kind}, not an app-level token: {APP_TOKEN_HOWTO}")
    if not app and not settings.slack_signing_secret:
        found.append(
            "SLACK_APP_TOKEN is missing (Socket Mode, recommended): " + APP_TOKEN_HOWTO
            + "; or, for HTTP mode, SLACK_SIGNING_SECRET is missing: " + SIGNING_HOWTO)
    return found + openai_problems(settings)


def oauth_problems(settings: Settings) -> list[str]:
    """The OAuth install (no bot token, client credentials): HTTP mode with both credentials and the signing
    secret; each workspace's token then comes from its installation."""
    found: list[str] = []
    for var, value in (("SLACK_CLIENT_ID", settings.slack_client_id),
                       ("SLACK_CLIENT_SECRET", settings.slack_client_secret)):
        if not value:
            found.append(f"{var} is missing (installing in many workspaces needs SLACK_CLIENT_ID and "
                         f"SLACK_CLIENT_SECRET): {CLIENT_HOWTO}; or set SLACK_BOT_TOKEN for one workspace")
    if settings.slack_app_token:
        found.append("SLACK_APP_TOKEN is set, but the OAuth install (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET without "
                     "SLACK_BOT_TOKEN) runs in HTTP mode only: unset SLACK_APP_TOKEN, or set SLACK_BOT_TOKEN for "
                     "one workspace in Socket Mode")
    if not settings.slack_signing_secret:
        found.append(f"SLACK_SIGNING_SECRET is missing (the OAuth install runs in HTTP mode): {SIGNING_HOWTO}")
    return found


def openai_problems(settings: Settings) -> list[str]:
    return [] if settings.openai_api_key else [f"OPENAI_API_KEY is missing: {OPENAI_HOWTO}"]
