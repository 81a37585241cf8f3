"""End to end: the frame around an answer (placeholder, stream tasks, sources line, steps, buttons, errors, the
assistant panel) in the reader's language, through `python bot.py` against the fakes.

The reader's language: a question with Hangul is Korean whatever the locale; an English question is English; a
question that says nothing (`WTI?`) follows the user's Slack locale (the fake's users.info). The workspace default
is English here (clean_env), so Korean text can only come from the question or the locale.

Two bot processes, one per path (streaming, the default; the placeholder, OILFX_STREAM=false); expected strings
come from the catalogs (KO/EN and the render functions), never typed in here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.i18n import EN, KO, Texts, benchmark_name, question_lang
from oilfx.market import Quote, format_krw
from oilfx.slack.listeners.assistant.thread_started import greeting, prompts, prompts_title
from oilfx.slack.listeners.assistant.user_message import status
from oilfx.slack.listeners.events.app_mention import BARE_MENTION_QUESTION
from oilfx.slack.render import FEEDBACK_ACTION, SHOW_STEPS_ACTION, progress_text
from oilfx.slack.stream_text import task_title
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 20.0
MAX_QUESTION = 300
KO_USER, EN_USER = "U0KOFRAME", "U0ENFRAME"
# (reader, question, user): the question's language wins; a neutral question follows the user's locale
READERS = {
    "korean-question": (KO, "WTI 원화로 얼마야?", EN_USER),
    "english-question": (EN, "What is WTI in won right now?", EN_USER),
    "ko-locale-neutral": (KO, "WTI?", KO_USER),
}


@pytest.fixture(scope="module", params=["streaming", "placeholder"])
def path(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def slack(path: str) -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.user_locales[KO_USER] = "ko-KR"
    fake.user_locales[EN_USER] = "en-US"
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def bot(slack: FakeSlack, openai_fake, pages, path: str, tmp_path_factory) -> Iterator[BotProcess]:
    db = tmp_path_factory.mktemp("frame") / "oilfx.db"
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db), "OILFX_OPENAI_MAX_RETRIES": "0",
           "OILFX_CACHE_TTL": "0", "OILFX_MAX_QUESTION_CHARS": str(MAX_QUESTION),
           **({"OILFX_STREAM": "false"} if path == "placeholder" else {})}
    process = start_connected(env, slack)
    yield process
    process.stop()


def deliver(slack: FakeSlack, payload: dict[str, Any], kind: str = "events_api") -> None:
    slack.wait_ack(slack.deliver(kind, payload))


def ask(slack: FakeSlack, question: str, user: str, channel: str) -> str:
    payload = slack.app_mention(question, channel=channel, user=user)
    deliver(slack, payload)
    return str(payload["event"]["ts"])


def answer_in(slack: FakeSlack, channel: str, ts: str, contains: str) -> Message:
    return slack.wait_for_message(channel=channel, thread_ts=ts, contains=contains, timeout=TIMEOUT, final=True)


def before(template_text: str) -> str:
    """The words of a catalog sentence before its first placeholder (what a line starts with)."""
    return template_text.split("\x00", 1)[0]


def sources_prefix(texts: Texts) -> str:
    return before(texts.t("Sources: {sources} · oilfx {engine}", sources="\x00", engine="\x00"))


def context_text(msg: Message) -> str:
    return next(e["text"] for b in msg.blocks or [] if b["type"] == "context" for e in b["elements"])


def feedback_buttons(msg: Message) -> dict[str, Any]:
    return next(e for b in msg.blocks or [] if b["type"] == "context_actions" for e in b["elements"]
                if e["type"] == "feedback_buttons")


def button_text(button: dict[str, Any]) -> str:
    return str(button["text"]["text"])


def wti(quote: Quote) -> str:
    return format_krw(quote.krw_per_barrel("WTI"))


# --- the answer's frame -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(READERS))
def test_the_answer_is_framed_in_the_readers_language(bot, slack, quote, path, case):
    texts, question, user = READERS[case]
    channel = f"C0FR{case[:6].upper()}"
    ts = ask(slack, question, user, channel)
    msg = answer_in(slack, channel, ts, wti(quote))
    if path == "placeholder":
        assert msg.versions[0]["text"] == progress_text(texts)  # the placeholder came first, in their language
    else:  # each tool call a task titled in their language
        titles = {c["title"] for c in msg.chunks() if c["type"] == "task_update"}
        args = json.dumps({"benchmark": "WTI", "unit": "barrel"})
        assert titles == {task_title("oil_price", "{}", texts), task_title("usd_krw", "{}", texts),
                          task_title("oil_price_krw", args, texts)}
        # from the catalog, not from the function under test: the conversion's title in the reader's words
        converting = texts.t("Converting {benchmark} to won per barrel", benchmark=texts.render(benchmark_name("WTI")))
        assert converting in titles and (texts is EN or converting != EN.t("Converting {benchmark} to won per barrel",
                                                                             benchmark="WTI"))
    footer = context_text(msg)
    assert footer.startswith(sources_prefix(texts)) and quote.oil["WTI"].source in footer
    feedback = feedback_buttons(msg)
    assert button_text(feedback["positive_button"]) == texts.t("Good answer")
    assert feedback["negative_button"]["accessibility_label"] == texts.t("Mark this answer as bad")


def test_a_slow_turns_progress_lines_are_in_the_readers_language(bot, slack, openai_fake, quote, path):
    if path != "placeholder":
        pytest.skip("streamed, each tool is a task (titles checked above)")
    openai_fake.latency = 0.6  # three model rounds: progress updates (at most one a second) get a chance
    try:
        ts = ask(slack, "WTI?", KO_USER, "C0FRSLOW")
        msg = answer_in(slack, "C0FRSLOW", ts, wti(quote))
    finally:
        openai_fake.latency = 0.0
    running = KO.t("Fetching {title}…", title="\x00").split("\x00")[-1]
    progress = [v["text"] for v in msg.versions[1:-1] if "✓" in v["text"] or running in v["text"]]
    assert progress and all(text.startswith(progress_text(KO)) for text in progress)


@pytest.mark.parametrize("texts, question", [(KO, "WTI 원화 가격 계산 단계 보여줘"),
                                             (EN, "WTI in won? show the steps")])
def test_asked_for_steps_the_breakdown_follows_in_the_question_language(bot, slack, quote, texts, question):
    channel = f"C0FRSTEP{texts.lang.value.upper()}"
    ts = ask(slack, question, EN_USER, channel)
    answer_in(slack, channel, ts, wti(quote))
    steps = answer_in(slack, channel, ts, texts.t("Run steps"))
    assert steps.all_text.startswith("*" + texts.t("Run steps") + "*")
    assert "oil_price_krw" in steps.all_text
    ok_mark = texts.t("• {call} ok, {ms} ms", call="\x00", ms="\x00").split("\x00")[1]  # " ok, " / " 성공, "
    assert steps.text.count(ok_mark) == 3  # each call with its mark and time, in the reader's words


@pytest.mark.parametrize("texts, user", [(KO, KO_USER), (EN, EN_USER)])
def test_show_steps_button_and_its_click_speak_the_readers_language(bot, slack, quote, path, texts, user):
    if path != "placeholder":
        pytest.skip("streamed, the task timeline stands in for the Show steps button")
    channel = f"C0FRBTN{texts.lang.value.upper()}"
    ts = ask(slack, "WTI?", user, channel)
    msg = answer_in(slack, channel, ts, wti(quote))
    button = next(e for b in msg.blocks or [] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == SHOW_STEPS_ACTION)
    assert button_text(button) == texts.t("Show steps")
    deliver(slack, slack.block_action(SHOW_STEPS_ACTION, value=button["value"], message=msg.as_event(),
                                      channel=channel, user=user), "interactive")
    steps = answer_in(slack, channel, ts, texts.t("Run steps"))  # saved at answer time, in the asker's language
    assert "oil_price_krw" in steps.all_text
    # a button whose steps are gone, clicked by someone who reads the other language: told so in theirs
    other, other_texts = (EN_USER, EN) if user == KO_USER else (KO_USER, KO)
    deliver(slack, slack.block_action(SHOW_STEPS_ACTION, value="gone-key", message=msg.as_event(),
                                      channel=channel, user=other), "interactive")
    note = slack.wait_for(lambda: [e for e in slack.ephemerals if e["channel"] == channel], TIMEOUT,
                          what="the note that the steps are gone")[0]
    assert note["user"] == other
    assert other_texts.t("The steps of this answer are no longer stored.") in note["text"]


@pytest.mark.parametrize("texts, user", [(KO, KO_USER), (EN, EN_USER)])
def test_feedback_is_acknowledged_in_the_clickers_language(bot, slack, quote, path, texts, user):
    channel = f"C0FRFB{path[:2].upper()}{texts.lang.value.upper()}"
    asker = EN_USER if user == KO_USER else KO_USER   # the answer is the other reader's: the click is `user`'s
    ts = ask(slack, "WTI?", asker, channel)
    msg = answer_in(slack, channel, ts, wti(quote))
    value = feedback_buttons(msg)["positive_button"]["value"]
    deliver(slack, slack.block_action(FEEDBACK_ACTION, value=value, message=msg.as_event(), channel=channel,
                                      user=user), "interactive")
    ack = slack.wait_for(lambda: [e for e in slack.ephemerals if e["channel"] == channel], TIMEOUT,
                         what="the feedback acknowledgement")[0]
    assert ack["user"] == user and ack["text"] == texts.t("Thanks! Glad the answer helped.")


@pytest.mark.parametrize("texts, question", [(KO, "원화로 " * 100 + "WTI 얼마야?"), (EN, "please " * 60 + "WTI?")])
def test_a_too_long_question_is_refused_in_its_language(bot, slack, path, texts, question):
    assert len(question) > MAX_QUESTION
    channel = f"C0FRLONG{texts.lang.value.upper()}"
    ts = ask(slack, question, EN_USER, channel)
    note_start = before(texts.t("Your message is {length} characters long; oilfx reads questions of up to {limit} "
                                "characters (OILFX_MAX_QUESTION_CHARS). Please shorten it to the question itself and "
                                "ask again.", length="\x00", limit="\x00"))
    msg = answer_in(slack, channel, ts, note_start)
    assert f"{MAX_QUESTION:,}" in msg.all_text


@pytest.mark.parametrize("texts, user", [(KO, KO_USER), (EN, EN_USER)])
def test_a_bare_mention_asks_for_todays_prices_in_the_users_language(bot, slack, openai_fake, quote, path, texts,
                                                                      user):
    channel = f"C0FRBARE{path[:2].upper()}{texts.lang.value.upper()}"
    ts = ask(slack, "", user, channel)
    msg = answer_in(slack, channel, ts, "₩")
    question = BARE_MENTION_QUESTION.in_lang(texts.lang)  # the model answers in the language it is asked in
    assert any(isinstance(i, dict) and i.get("content") == question for r in openai_fake.requests
               for i in (r["body"] or {}).get("input") or [])
    assert context_text(msg).startswith(sources_prefix(texts))


# --- the assistant panel ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("texts, user", [(KO, KO_USER), (EN, EN_USER)])
def test_the_panel_greets_and_suggests_prompts_in_the_users_language(bot, slack, path, texts, user):
    if path != "streaming":
        pytest.skip("the panel does not depend on the answer path")
    channel = f"D0FRPANEL{texts.lang.value.upper()}"
    payload = slack.assistant_thread_started(channel=channel, user=user)
    deliver(slack, payload)
    thread_ts = payload["event"]["assistant_thread"]["thread_ts"]
    greeted = slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains="oilfx", timeout=TIMEOUT)
    assert greeted.text == greeting(texts)
    call = slack.wait_for_call("assistant.threads.setSuggestedPrompts", timeout=TIMEOUT,
                               where=lambda c: c.params.get("thread_ts") == thread_ts)
    assert call.params["prompts"] == prompts(texts) and call.params.get("title") == prompts_title(texts)
    assert len(call.params["prompts"]) <= 4
    # a prompt clicked is a question in the same language: its answer's frame (and the model's words) match
    assert all(question_lang(p["message"]) is texts.lang for p in call.params["prompts"])
    # a question in the panel: the status in the question's language
    question = "두바이유 지금 얼마야?" if texts is KO else "What does Dubai cost now?"
    deliver(slack, slack.dm_message(question, channel=channel, thread_ts=thread_ts, user=user))
    status_call = slack.wait_for_call("assistant.threads.setStatus", timeout=TIMEOUT,
                                      where=lambda c: c.params.get("thread_ts") == thread_ts
                                      and bool(c.params.get("status")))
    assert status_call.params["status"] == status(texts)
