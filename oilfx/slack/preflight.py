"""Before the bot starts: every missing or malformed setting, each with where to get the right value."""

from __future__ import annotations

from oilfx.config import Settings

APPS = "api.slack.com/apps -> your app"
BOT_TOKEN_HOWTO = f"{APPS} -> OAuth & Permissions -> Bot User OAuth Token (starts with xoxb-)"
APP_TOKEN_HOWTO = (f"{APPS} -> Basic Information -> App-Level Tokens -> a token with scope connections:write "
                   "(starts with xapp-)")
SIGNING_HOWTO = f"{APPS} -> Basic Information -> App Credentials -> Signing Secret"
OPENAI_HOWTO = ("platform.openai.com -> API keys (starts with sk-); for an OpenAI-compatible server set "
                "OPENAI_BASE_URL and any key it accepts")


def problems(settings: Settings) -> list[str]:
    """One sentence per problem; empty when the bot can start."""
    found: list[str] = []
    bot = settings.slack_bot_token
    if not bot:
        found.append(f"SLACK_BOT_TOKEN is missing: {BOT_TOKEN_HOWTO}")
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
    if not settings.openai_api_key:
        found.append(f"OPENAI_API_KEY is missing: {OPENAI_HOWTO}")
    return found
