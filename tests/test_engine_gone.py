"""A conversation that is gone is replaced, and the user is told (issue 21, finding 5); the chat engine's history
is trimmed by tokens without dropping the newest turn (finding 8). Each engine through the real openai SDK against
the fake OpenAI, which answers a deleted or never-made conversation/thread with the real 404."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest

from oilfx.engines import EngineError, make_engine
from oilfx.engines.base import NullListener, with_notices
from oilfx.engines.chat import HISTORY_LOST
from oilfx.engines.client import LOST_CONTEXT
from oilfx.engines.history import HISTORY_BUDGET_TOKENS, estimate_tokens, message_tokens, trim_history
from oilfx.engines.items import ConversationGone
from oilfx.engines.memory import MemoryState
from oilfx.i18n import EN, KO
from oilfx.store.sqlite import SqliteStore
from tests.fakes.openai_chat import check_tool_pairs
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.openai_wire import FakeError
from tests.fakes.pages import PagesServer
from tests.test_engines import EXPECTED, PREFIX, SEED_QUESTION, _registry, _settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's Assistants API warnings
ROOT = Path(__file__).resolve().parent.parent
# api.openai.com's 404 for the conversation itself (type invalid_request_error, param and code null)
GONE_MESSAGE = {"responses": "Conversation with id '{ref}' not found.",
                "assistants": "No thread found with id '{ref}'."}


def _sdk(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key=fake.env()["OPENAI_API_KEY"], base_url=fake.base_url, max_retries=0)


def _delete(fake: FakeOpenAI, engine: str, ref: str) -> None:
    """Through the API's own DELETE, as an operator (or a retention job) would."""
    sdk = _sdk(fake)
    deleted = sdk.conversations.delete(ref) if engine == "responses" else sdk.beta.threads.delete(ref)
    assert deleted.deleted


def _refusals(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r["refused"] for r in fake.requests if "refused" in r]


@pytest.mark.parametrize("engine", ["responses", "assistants"])
@pytest.mark.parametrize("how", ["deleted", "another API key"])
def test_a_gone_conversation_is_replaced_and_the_user_is_told(
        pages_server: PagesServer, fake_openai: FakeOpenAI, engine: str, how: str) -> None:
    settings = _settings(pages_server, fake_openai, engine)
    state = MemoryState()
    asker = make_engine(settings, _registry(settings), state)
    first = asker.ask(SEED_QUESTION)
    assert not first.notices
    if how == "deleted":
        _delete(fake_openai, engine, first.conversation)
    else:
        fake_openai.forget_all()   # the thread, and the assistant too, belong to another project now
    answer = asker.ask("WTI 다시?", first.conversation)
    assert EXPECTED in answer.text
    assert answer.notices == (LOST_CONTEXT,)
    assert answer.conversation != first.conversation and answer.conversation.startswith(PREFIX[engine])
    refused = _refusals(fake_openai)[0]
    assert refused["message"] == GONE_MESSAGE[engine].format(ref=first.conversation)
    assert refused["type"] == "invalid_request_error"
    made = fake_openai.conversations if engine == "responses" else fake_openai.threads
    assert answer.conversation in made and first.conversation not in made
    follow_up = asker.ask("브렌트유는?", answer.conversation)   # the new one carries on, with nothing to tell
    assert follow_up.conversation == answer.conversation and not follow_up.notices


def test_a_deleted_conversation_is_replaced_on_the_streaming_path_too(
        pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    deltas: list[str] = []

    class Collect(NullListener):
        def text_delta(self, delta: str) -> None:
            deltas.append(delta)

    settings = _settings(pages_server, fake_openai, "responses")
    streaming = make_engine(settings, _registry(settings), MemoryState(), stream=True)
    first = streaming.ask(SEED_QUESTION)
    _delete(fake_openai, "responses", first.conversation)
    answer = streaming.ask(SEED_QUESTION, first.conversation, listener=Collect())
    shown = with_notices(answer, EN).text
    # what was streamed is the start of what is shown, so a streamed reply is completed with the notice
    assert shown.startswith("".join(deltas).strip()) and shown.endswith(str(LOST_CONTEXT))
    assert EXPECTED in "".join(deltas)


def test_a_server_without_conversations_is_not_a_lost_conversation(
        pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    fake_openai.conversations_api = False   # llama.cpp: 404 "File Not Found" for every /v1/conversations path
    settings = _settings(pages_server, fake_openai, "responses")
    asker = make_engine(settings, _registry(settings), MemoryState())
    with pytest.raises(EngineError, match="OILFX_ENGINE=chat"):
        asker.ask(SEED_QUESTION)
    with pytest.raises(EngineError) as raised:
        asker.ask(SEED_QUESTION, "conv_from_before")
    assert not isinstance(raised.value, ConversationGone) and "File Not Found" in str(raised.value)
    assert not [r for r in fake_openai.requests if r["path"] == "/v1/conversations" and r["method"] == "POST"
                and "refused" not in r]


def test_a_deleted_assistant_is_remade_without_a_notice(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    """A 404 naming the assistant (not the thread) keeps the thread: nothing was lost."""
    settings = _settings(pages_server, fake_openai, "assistants")
    asker = make_engine(settings, _registry(settings), MemoryState())
    first = asker.ask(SEED_QUESTION)
    fake_openai.assistants.clear()
    again = asker.ask(SEED_QUESTION, first.conversation)
    assert again.conversation == first.conversation and not again.notices and EXPECTED in again.text


# --- chat: the history lives in our store ----------------------------------------------------------------------

def test_chat_history_missing_or_unreadable_is_replaced_and_the_user_is_told(
        pages_server: PagesServer, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    settings = _settings(pages_server, fake_openai, "chat")
    store = SqliteStore(str(tmp_path / "oilfx.db"))
    try:
        asker = make_engine(settings, _registry(settings), store)
        first = asker.ask(SEED_QUESTION)
        with sqlite3.connect(tmp_path / "oilfx.db") as db:   # a torn write, a hand edit: not JSON any more
            db.execute("UPDATE histories SET messages='[{\"role\": \"user\", \"cont' WHERE conversation=?",
                       (first.conversation,))
        unreadable = asker.ask(SEED_QUESTION, first.conversation)
        missing = asker.ask(SEED_QUESTION, "chat_0123456789abcdef")   # e.g. a store that lost its histories
    finally:
        store.close()
    for answer, old in ((unreadable, first.conversation), (missing, "chat_0123456789abcdef")):
        assert EXPECTED in answer.text and answer.notices == (HISTORY_LOST,)
        assert answer.conversation != old and answer.conversation.startswith("chat_")


def test_chat_one_big_turn_keeps_the_thread_history(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    settings = _settings(pages_server, fake_openai, "chat")
    state = MemoryState()
    asker = make_engine(settings, _registry(settings), state)
    first = asker.ask(SEED_QUESTION)
    big = SEED_QUESTION + " " + "background " * 3000          # more than the whole budget by itself
    assert estimate_tokens(big) > HISTORY_BUDGET_TOKENS
    second = asker.ask(big, first.conversation)
    kept = state.load_history(first.conversation)
    questions = [m["content"] for m in kept if m["role"] == "user"]
    assert questions == [big] and kept[-1] == {"role": "assistant", "content": second.text}
    check_tool_pairs(kept)
    third = asker.ask("브렌트유는?", first.conversation)
    assert not third.notices and third.conversation == first.conversation
    sent = [r["body"]["messages"] for r in fake_openai.requests if r["path"] == "/v1/chat/completions"][-1]
    assert big in [m.get("content") for m in sent]   # the model still sees the turn before


def _turn(n: int, size: int, calls: int = 1) -> list[dict[str, Any]]:
    ids = [f"call_{n}_{i}" for i in range(calls)]
    return [{"role": "user", "content": f"q{n} " + "x" * size},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": c, "type": "function", "function": {"name": "oil_price", "arguments": "{}"}} for c in ids]},
            *({"role": "tool", "tool_call_id": c, "content": "o" * size} for c in ids),
            {"role": "assistant", "content": f"a{n} " + "y" * size}]


TRIM_CASES = {
    "small turns all fit": ([_turn(i, 40) for i in range(3)], 6000),
    "old turns dropped oldest first": ([_turn(i, 2000) for i in range(12)], 6000),
    "an old turn too big whole keeps its question and answer": ([_turn(0, 40), _turn(1, 9000), _turn(2, 40)], 6000),
    "the newest turn alone over the budget": ([_turn(0, 40), _turn(1, 40_000, calls=3)], 6000),
    "a tiny budget": ([_turn(i, 100, calls=2) for i in range(4)], 1),
    "a stored turn with a dangling call": ([_turn(0, 40), _turn(1, 40)[:2] + _turn(1, 40)[-1:]], 6000),
}


@pytest.mark.parametrize("name", TRIM_CASES)
def test_trimmed_history_keeps_the_newest_turn_and_every_call_with_its_output(name: str) -> None:
    turns, budget = TRIM_CASES[name]
    history = [m for t in turns for m in t]
    kept = trim_history(history, budget)
    newest = turns[-1]
    assert kept[-1] == newest[-1] and newest[0] in kept                 # never the newest turn
    try:
        check_tool_pairs(kept)                                           # what Chat Completions would refuse
    except FakeError as e:
        pytest.fail(f"trimmed history refused: {e.message}")
    if len([m for m in kept if m["role"] == "user"]) > 1:                # past the newest, the budget holds
        assert sum(message_tokens(m) for m in kept) <= budget
    assert trim_history(kept, budget) == kept                            # stable: saving it again changes nothing


def test_fake_chat_refuses_a_call_without_its_output(fake_openai: FakeOpenAI) -> None:
    turn = _turn(0, 10, calls=2)
    with pytest.raises(openai.BadRequestError, match="did not have response messages: call_0_1"):
        _sdk(fake_openai).chat.completions.create(model="gpt-test", messages=turn[:3] + turn[4:])  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="must be a response to a preceeding message"):
        _sdk(fake_openai).chat.completions.create(model="gpt-test", messages=[turn[0], turn[2]])  # type: ignore[arg-type]


def test_cli_ask_says_the_earlier_context_was_lost(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                   tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OILFX_", "REDIS_"))}
    env = {**base, **pages_server.env(), **fake_openai.env(), "OILFX_DB": str(tmp_path / "oilfx.db"),
           "PYTHONPATH": str(ROOT)}
    gone = _sdk(fake_openai).conversations.create().id
    _delete(fake_openai, "responses", gone)
    result = subprocess.run([sys.executable, "-m", "oilfx", "ask", SEED_QUESTION, "--conversation", gone],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert EXPECTED in result.stdout and KO.render(LOST_CONTEXT) in result.stdout   # a Korean question
    continue_with = result.stderr.splitlines()[-1]        # "(responses · model · 대화 conv_...)": a Korean question
    conversation = KO.t("({engine} · {model} · conversation {conversation})", engine="responses", model="|",
                        conversation="|").split("|")[1]     # " · 대화 "
    assert conversation + "conv_" in continue_with and gone not in continue_with
