"""OpenAI-side faults end to end: `python bot.py` (Responses engine, and the Assistants engine) against a fake
OpenAI that rate-limits, fails, resets connections, stalls, or ends runs badly. Each turn ends with an answer or
a message in the thread naming what happened, within bounds, and the same thread answers the next question."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oilfx.i18n import KO
from oilfx.market import Quote, format_krw
from tests.fakes.bot_process import BotProcess
from tests.fakes.openai_server import FakeOpenAI, Script
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack

TIMEOUT = 1.0        # OILFX_OPENAI_TIMEOUT: also the Assistants run deadline
RETRIES = 1          # OILFX_OPENAI_MAX_RETRIES
ANSWER_TIMEOUT = 20.0

# mode -> what the thread must show (an answer figure, or the words of the apology)
RESPONSES_CASES = {
    "429": None,                                      # retried after retry-after, then answered
    "500": "OpenAI returned HTTP 500 after 2 attempts",
    "503": "OpenAI returned HTTP 503 after 2 attempts",
    "reset": "Could not connect",
    "slow": f"did not answer within {TIMEOUT:g} s after 2 attempts",
    "bad_json": "not valid JSON",
    "bad_args": "invalid arguments",
    "loop": "no tools were available",               # the last round offers none (tool_choice "none")
    "length": "The answer was cut off",               # never the cut-off text itself
}
ASSISTANTS_CASES = {
    "failed": "ended 'failed'",
    "expired": "ended 'expired'",
    "cancelled": "ended 'cancelled'",
    "incomplete": "ended 'incomplete'",
    "stuck": f"stayed 'in_progress' for {TIMEOUT:g} s",
}


@pytest.fixture(scope="module")
def servers(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer) -> tuple[FakeSlack, FakeOpenAI, PagesServer]:
    openai_fake.slow_seconds = 3 * TIMEOUT
    return slack, openai_fake, pages


@pytest.fixture(scope="module")
def bots(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, BotProcess]]:
    """One bot per engine, both connected to the same fake Slack; each test picks its engine by channel."""
    slack, openai_fake, pages = servers
    started: dict[str, BotProcess] = {}
    for engine in ("responses", "assistants"):
        env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_ENGINE": engine,
               "OILFX_OPENAI_TIMEOUT": str(TIMEOUT), "OILFX_OPENAI_MAX_RETRIES": str(RETRIES),
               "OILFX_MAX_TOOL_ROUNDS": "3", "OILFX_DB": str(tmp_path_factory.mktemp(engine) / "oilfx.db")}
        started[engine] = BotProcess(env).start()
        try:
            slack.wait_connections(len(started), timeout=30)
        except AssertionError:
            for bot in started.values():
                bot.stop()
            pytest.fail(f"{engine} bot did not connect; its log:\n{started[engine].log()}")
    yield started
    for bot in started.values():
        bot.stop()


def ask(slack: FakeSlack, bot: BotProcess, text: str, channel: str, thread_ts: str | None = None) -> str:
    """Deliver a mention on `bot`'s own connection; the thread's ts."""
    connection = slack.connections_of(bot.proc.pid)[-1]  # type: ignore[union-attr]
    payload = slack.app_mention(text, channel=channel, thread_ts=thread_ts)
    slack.wait_ack(slack.deliver("events_api", payload, connection=connection))
    return thread_ts or payload["event"]["ts"]


def check_turn_and_follow_up(servers: tuple[FakeSlack, FakeOpenAI, PagesServer], bot: BotProcess, quote: Quote,
                             mode: str, expected: str | None, channel: str) -> None:
    slack, openai_fake, _ = servers
    started = time.monotonic()
    with openai_fake.scripted(Script.misbehave(mode)):  # this turn only: the follow-up below is a normal one
        ts = ask(slack, bot, "WTI in won?", channel)
        first = slack.wait_for_message(channel=channel, thread_ts=ts, contains=expected or format_krw(
            quote.krw_per_barrel("WTI")), timeout=ANSWER_TIMEOUT)
    assert time.monotonic() - started < 15  # bounded retries, no hung listener
    assert "Looking up" not in first.all_text  # the placeholder was replaced, not left hanging
    # The thread is usable for the next question, in the same conversation.
    ask(slack, bot, "And Brent?", channel, thread_ts=ts)
    slack.wait_for_message(channel=channel, thread_ts=ts, contains=format_krw(quote.krw_per_barrel("Brent")),
                           timeout=ANSWER_TIMEOUT)
    assert len(slack.posted(channel, ts)) == 2


@pytest.mark.parametrize("mode", list(RESPONSES_CASES))
def test_responses_faults_end_in_an_answer_or_a_named_apology(bots, servers, quote, mode):
    check_turn_and_follow_up(servers, bots["responses"], quote, mode, RESPONSES_CASES[mode], f"C0R{mode.upper()}")


@pytest.mark.parametrize("mode", list(ASSISTANTS_CASES))
def test_assistants_runs_ending_badly_are_named_and_the_thread_stays_usable(bots, servers, quote, mode):
    openai_fake = servers[1]
    check_turn_and_follow_up(servers, bots["assistants"], quote, mode, ASSISTANTS_CASES[mode], f"C0A{mode.upper()}")
    if mode == "stuck":  # the stuck run was cancelled, not left blocking the thread
        stuck = [r for r in openai_fake.runs.values() if r.get("mode") == "stuck"]
        assert stuck and all(r["obj"]["status"] in ("cancelled", "cancelling") for r in stuck)


# A Korean question: the engine's failure reaches the reader in Korean, from the catalog (the API's own detail,
# e.g. the server's error message, is data and stays as sent). The sentence up to that detail:
KOREAN_CASES = {
    ("responses", "500"): KO.t("OpenAI returned HTTP {status} after {attempts} attempts ({detail}).", status=500,
                               attempts=RETRIES + 1, detail="\0").split("\0")[0],
    ("assistants", "expired"): KO.t("The run ended '{status}'.", status="expired").rstrip("."),
}


@pytest.mark.parametrize(("engine", "mode"), list(KOREAN_CASES))
def test_a_korean_question_hears_the_engines_failure_in_korean(bots, servers, engine, mode):
    slack, openai_fake, _ = servers
    channel = f"C0KO{engine[:3].upper()}{mode.upper()}"
    with openai_fake.scripted(Script.misbehave(mode)):
        ts = ask(slack, bots[engine], "WTI 지금 원화로 얼마야?", channel)
        reply = slack.wait_for_message(channel=channel, thread_ts=ts, contains=KOREAN_CASES[(engine, mode)],
                                       timeout=ANSWER_TIMEOUT)
    assert "OpenAI returned" not in reply.all_text and "The run ended" not in reply.all_text
