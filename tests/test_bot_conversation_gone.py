"""End to end (issue 21, finding 5): `python bot.py` answers a follow-up in a thread whose OpenAI Conversation is
gone (deleted through the API, or made under another API key) in a new conversation, says the earlier context was
lost, and remembers the new conversation for the thread. On the streaming path (the default) and the placeholder
path (a workspace without AI features). One bot process serves the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from oilfx.engines.client import LOST_CONTEXT
from oilfx.i18n import EN, KO
from oilfx.market import format_krw
from oilfx.store.base import ThreadKey
from oilfx.store.sqlite import SqliteStore
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import FakeSlack

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def bot_env(slack, openai_fake, pages, tmp_path_factory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("gone") / "oilfx.db"
    return {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db),
            "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_CACHE_TTL": "0"}


@pytest.fixture(scope="module")
def bot(slack, bot_env) -> Iterator[BotProcess]:
    process = start_connected(bot_env, slack)
    yield process
    process.stop()


def _conversation(bot_env: dict[str, str], payload: dict[str, Any]) -> str | None:
    store = SqliteStore(bot_env["OILFX_DB"])
    try:
        key = ThreadKey(payload["team_id"], payload["event"]["channel"], payload["event"]["ts"])
        return store.get_conversation(key, "responses")
    finally:
        store.close()


def _ask(slack: FakeSlack, text: str, channel: str, thread_ts: str | None = None) -> dict[str, Any]:
    payload = slack.app_mention(text, channel=channel, thread_ts=thread_ts)
    slack.wait_ack(slack.deliver("events_api", payload))
    return payload


# The notice is in the reader's language: the question's (English, or Korean with Hangul).
QUESTIONS = {"en": (EN, "WTI in won now?", "WTI in won again?"),
             "ko": (KO, "WTI 지금 원화로 얼마야?", "WTI 원화로 다시 알려줘")}


@pytest.mark.parametrize("lang", list(QUESTIONS))
@pytest.mark.parametrize("path", ["stream", "placeholder"])
def test_a_thread_whose_conversation_is_gone_is_answered_and_told(
        bot, slack: FakeSlack, openai_fake: FakeOpenAI, bot_env, quote, path: str, lang: str) -> None:
    texts, question, again = QUESTIONS[lang]
    notice = texts.render(LOST_CONTEXT)
    channel = f"C0GONE{path.upper()[:4]}{lang.upper()}"
    if path == "placeholder":
        slack.disable_ai_features()
    try:
        root = _ask(slack, question, channel)
        thread_ts = root["event"]["ts"]
        figure = format_krw(quote.krw_per_barrel("WTI"))
        slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=figure, timeout=TIMEOUT, final=True)
        old = _conversation(bot_env, root)
        assert old and old in openai_fake.conversations
        if path == "stream":   # deleted through the API's own DELETE
            sdk = openai.OpenAI(api_key=bot_env["OPENAI_API_KEY"], base_url=openai_fake.base_url, max_retries=0)
            assert sdk.conversations.delete(old).deleted
        else:                  # the bot now runs with a key of another project
            openai_fake.forget_all()
        _ask(slack, again, channel, thread_ts)
        reply = slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=notice[:40],
                                       timeout=TIMEOUT, final=True)
    finally:
        slack.clear_faults()
    assert figure in reply.text and notice in reply.text
    assert lang == "en" or str(LOST_CONTEXT) not in reply.text
    assert reply.kind == ("stream" if path == "stream" else "message")
    new = _conversation(bot_env, root)
    assert new and new != old and new in openai_fake.conversations   # the thread carries on in the new one
    assert any(r.get("refused", {}).get("message") == f"Conversation with id '{old}' not found."
               for r in openai_fake.requests)
