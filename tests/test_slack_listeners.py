"""Listener helpers: the question text, which events are ignored, dedupe ids; and the settings preflight."""

from __future__ import annotations

from oilfx.config import load_settings
from oilfx.slack.listeners.commands.oilprice import command_id
from oilfx.slack.listeners.events.common import event_id, is_from_a_bot, is_question, question_text
from oilfx.slack.preflight import problems
from tests.fakes.real_payloads import RealPayloads
from tests.fakes.slack_payloads import Workspace

WS = Workspace()
REAL = RealPayloads(WS)


def test_question_text_drops_only_the_bots_mention_and_decodes_slacks_escapes():
    assert question_text("<@UBOT>  WTI   in won? <@W123|someone>", "UBOT") == "WTI in won? <@W123|someone>"
    assert question_text("<@UBOT|oilfx> ask <@U0ALICE> too", "UBOT") == "ask <@U0ALICE> too"
    assert question_text("<@UBOT>", "UBOT") == ""
    # Slack sends "WTI & Brent <> 1 L" typed by a user escaped; a user typing "&lt;" arrives as "&amp;lt;".
    assert question_text("<@UBOT> WTI &amp; Brent &lt;&gt; 1 L, not &amp;lt;", "UBOT") == "WTI & Brent <> 1 L, not &lt;"
    real = REAL.mention("C1")["event"]["text"]  # the docs' sample: "<@U0LAN0Z89> is it everything ..."
    assert question_text(real, "UBOT") == real.split("> ", 1)[1]


def test_which_real_events_are_questions():
    questions = {"mention": REAL.mention("C1"), "mention_with_files": REAL.mention_with_files("C1"),
                 "broadcast_mention": REAL.broadcast_mention("C1"), "dm": REAL.dm_user_message("D1"),
                 "dm_file_share": REAL.dm_file_share("D1"), "dm_thread_broadcast": REAL.dm_thread_broadcast("D1"),
                 "edited_mention": REAL.edited_mention("C1", "WTI?")[1],
                 "assistant_file_share": REAL.assistant_file_share("WTI?")}
    not_questions = {**REAL.dm_ignored("D1"), "mention_from_bot": REAL.mention_from_bot("C1"),
                     "assistant_message_changed": REAL.assistant("assistant_message_changed")}
    for name, payload in questions.items():
        assert is_question(payload["event"], WS.bot_user_id), name
    for name, payload in not_questions.items():
        assert not is_question(payload["event"], WS.bot_user_id), name


def test_bot_messages_are_recognised():
    assert is_from_a_bot(WS.bot_message("hi", own=True)["event"], "UBOT")
    assert is_from_a_bot(WS.bot_message("hi", own=False)["event"], "UBOT")
    assert not is_from_a_bot(WS.dm_message("hi")["event"], "UBOT")


def test_event_id_is_stable_across_retries_and_derived_when_missing():
    payload = WS.app_mention("WTI?")
    assert event_id(payload, payload["event"]) == payload["event_id"]
    bare = {k: v for k, v in payload.items() if k != "event_id"}
    assert event_id(bare, payload["event"]) == event_id(dict(bare), dict(payload["event"]))
    assert event_id(bare, payload["event"]).startswith("derived-")


def test_command_id_per_invocation():
    a, b = WS.slash_command(text="WTI?"), WS.slash_command(text="WTI?")
    assert command_id(a) != command_id(b) and command_id(a) == command_id(dict(a))


def test_preflight_accepts_socket_and_http_configurations():
    socket = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OPENAI_API_KEY": "sk-1"}
    http = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "OPENAI_API_KEY": "sk-1"}
    assert problems(load_settings(socket)) == [] and problems(load_settings(http)) == []
    found = problems(load_settings({"SLACK_BOT_TOKEN": "xoxp-user", "OPENAI_API_KEY": "sk-1", "OILFX_LANG": "en"}))
    assert any("SLACK_BOT_TOKEN looks wrong" in p and "xoxb-" in p for p in found)
    assert any("SLACK_SIGNING_SECRET" in p for p in found)
