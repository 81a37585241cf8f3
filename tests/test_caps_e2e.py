"""Size and encoding caps through `python bot.py` (one bot process for the module), on the streaming path (the
default) and the placeholder path (the workspace's AI features off): a question over OILFX_MAX_QUESTION_CHARS is
answered with a note and never sent to the model; a 120,000-character answer is cut to MAX_ANSWER_MESSAGES with a
visible note; lone UTF-16 surrogates in the question or the model's answer are cleaned, not a failed turn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.config import Settings
from oilfx.i18n import EN
from oilfx.market import format_krw
from oilfx.slack.caps import MAX_ANSWER_MESSAGES, clean_text, cut_note
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_script import HUGE_ANSWER, LONE_SURROGATE, Script
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 30.0
LIMIT = Settings().max_question_chars  # the default the bot runs with
PATHS = ["stream", "placeholder"]
FAILED = "Something went wrong"


@pytest.fixture(scope="module")
def bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    # Room for the fake's 120,000-character answer (30,000 of its tokens) under the output cap.
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0",
           "OILFX_MAX_OUTPUT_TOKENS": str(HUGE_ANSWER), "OILFX_DB": str(tmp_path_factory.mktemp("caps") / "oilfx.db")}
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture(params=PATHS)
def path(request, slack: FakeSlack) -> Iterator[str]:
    if request.param == "placeholder":
        slack.disable_ai_features()  # chat.startStream refused: the turn answers with a placeholder message
    try:
        yield request.param
    finally:
        slack.clear_faults()


def ask(slack: FakeSlack, text: str, channel: str) -> dict[str, Any]:
    payload = slack.app_mention(text, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    return payload


def final_thread(slack: FakeSlack, payload: dict[str, Any], contains: str) -> list[Message]:
    """The thread's messages once one carries `contains` and none is still streaming."""
    event = payload["event"]

    def done() -> list[Message] | None:
        msgs = slack.posted(event["channel"], event["ts"])
        if any(contains in m.all_text for m in msgs) and not any(m.streaming for m in msgs):
            return msgs
        return None

    return slack.wait_for(done, TIMEOUT, what=f"{contains!r} in the thread")


def asked_model(openai_fake: Any, marker: str) -> list[str]:
    """The user texts sent to the fake model that contain `marker`."""
    texts = []
    for r in openai_fake.requests:
        for item in (r.get("body") or {}).get("input") or []:
            if isinstance(item, dict) and isinstance(item.get("content"), str) and marker in item["content"]:
                texts.append(item["content"])
    return texts


def test_a_question_over_the_cap_gets_a_note_and_never_reaches_the_model(bot, servers, path):
    slack, openai_fake, _ = servers
    marker = f"longq{path}"
    question = f"WTI in won? {marker} " + "filler " * (LIMIT // 7 + 10)
    assert len(question) > LIMIT
    payload = ask(slack, question, f"C0LONGQ{path[:4].upper()}")
    msgs = final_thread(slack, payload, "shorten")
    text = "\n".join(m.all_text for m in msgs)
    assert f"{len(question.strip()):,} characters" in text and f"{LIMIT:,} characters" in text
    assert asked_model(openai_fake, marker) == []


def test_a_question_at_the_cap_is_answered(bot, servers, quote, path):
    slack, openai_fake, _ = servers
    marker = f"capq{path}"
    question = f"WTI in won? {marker} "
    question += "x" * (LIMIT - len(question))
    payload = ask(slack, question, f"C0CAPQ{path[:4].upper()}")
    final_thread(slack, payload, format_krw(quote.krw_per_barrel("WTI")))
    assert asked_model(openai_fake, marker) == [question]


def test_a_120000_character_answer_is_cut_to_a_few_messages_with_a_note(bot, servers, quote, path):
    slack, openai_fake, _ = servers
    with openai_fake.scripted(Script.misbehave("huge")):
        payload = ask(slack, "WTI in won, in full detail", f"C0HUGE{path[:4].upper()}")
        msgs = final_thread(slack, payload, cut_note(EN))
    assert 1 < len(msgs) <= MAX_ANSWER_MESSAGES
    assert {m.kind for m in msgs} == ({"stream"} if path == "stream" else {"message"})
    assert format_krw(quote.krw_per_barrel("WTI")) in msgs[0].all_text
    assert cut_note(EN) in msgs[-1].all_text
    assert not [c for c in slack.calls if not c.ok and c.response.get("error") in {"msg_too_long", "invalid_blocks"}]


@pytest.mark.parametrize("where", ["question", "answer"])
def test_lone_surrogates_are_cleaned_not_a_failed_turn(bot, servers, quote, path, where):
    slack, openai_fake, _ = servers
    marker = f"surr{where}{path}"
    question = f"WTI in won? {marker} {LONE_SURROGATE}" if where == "question" else f"WTI in won? {marker}"
    with openai_fake.scripted(Script.misbehave("surrogate") if where == "answer" else Script()):
        payload = ask(slack, question, f"C0SURR{where[:3].upper()}{path[:4].upper()}")
        msgs = final_thread(slack, payload, format_krw(quote.krw_per_barrel("WTI")))
    text = "\n".join(m.all_text for m in msgs)
    assert FAILED not in text
    assert clean_text(text) == text  # nothing Slack was sent holds a lone surrogate
    if where == "question":
        assert asked_model(openai_fake, marker) == [f"WTI in won? {marker} \ufffd"]
    else:
        assert "\ufffd" in text
