"""`python bot.py` without usable settings, in the workspace's language (OILFX_LANG, default ko): which variables
are missing and where to get them, with the variable names, menu paths and token prefixes verbatim in both."""

from __future__ import annotations

import pytest

from oilfx.i18n import EN, KO
from oilfx.slack.preflight import APP_TOKEN_HOWTO, BOT_TOKEN_HOWTO, CLIENT_HOWTO, OPENAI_HOWTO, SIGNING_HOWTO
from tests.fakes.bot_process import BotProcess


def expected(tx) -> list[str]:  # type: ignore[no-untyped-def]
    """What a bot with no settings at all must say, line by line, in `tx`'s language."""
    return [tx.t("oilfx cannot start:"),
            "  - " + tx.t("SLACK_BOT_TOKEN is missing: {howto}; or, to install the bot in many workspaces (HTTP "
                          "mode), set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead: {client_howto}",
                          howto=BOT_TOKEN_HOWTO, client_howto=CLIENT_HOWTO),
            "  - " + tx.t("SLACK_APP_TOKEN is missing (Socket Mode, recommended): {howto}; or, for HTTP mode, "
                          "SLACK_SIGNING_SECRET is missing: {signing_howto}", howto=APP_TOKEN_HOWTO,
                          signing_howto=SIGNING_HOWTO),
            "  - " + tx.t("OPENAI_API_KEY is missing: {howto}", howto=OPENAI_HOWTO)]


@pytest.mark.parametrize(("lang", "tx"), [("", KO), ("ko", KO), ("en", EN)], ids=["default", "ko", "en"])
def test_missing_tokens_in_the_workspace_language(lang: str, tx) -> None:  # type: ignore[no-untyped-def]
    done = BotProcess({"OILFX_LANG": lang}).run()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == expected(tx)
    for verbatim in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY",
                     "api.slack.com/apps", "OAuth & Permissions", "xoxb-", "xapp-", "connections:write",
                     "platform.openai.com"):
        assert verbatim in done.stderr
    if tx is KO:
        assert done.stderr.startswith("oilfx를 시작할 수 없어요:") and "값이 없어요" in done.stderr
    else:
        assert done.stderr.startswith("oilfx cannot start:\n  - SLACK_BOT_TOKEN is missing: api.slack.com/apps -> "
                                      "your app -> OAuth & Permissions -> Bot User OAuth Token (starts with xoxb-)")


def test_wrong_kinds_of_token_and_a_bad_setting_in_korean() -> None:
    wrong = BotProcess({"OILFX_LANG": "ko", "SLACK_BOT_TOKEN": "xapp-1-wrong-kind",
                        "SLACK_APP_TOKEN": "xoxb-wrong-kind", "OPENAI_API_KEY": "sk-x"}).run()
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines()[1:] == [
        "  - " + KO.t("SLACK_BOT_TOKEN looks wrong: it is an app-level token (xapp-), not a bot token: {howto}",
                      howto=BOT_TOKEN_HOWTO),
        "  - " + KO.t("SLACK_APP_TOKEN looks wrong: it is a bot token (xoxb-), not an app-level token: {howto}",
                      howto=APP_TOKEN_HOWTO)]
    assert "xapp-1-wrong-kind" not in wrong.stderr and "xoxb-wrong-kind" not in wrong.stderr
    # A setting that cannot be read (here OILFX_LANG itself) still gets the header in the default language.
    bad = BotProcess({"OILFX_LANG": "fr"}).run()
    assert bad.returncode == 2
    assert bad.stderr.startswith(KO.t("oilfx cannot start:")) and "OILFX_LANG: expected ko or en" in bad.stderr
