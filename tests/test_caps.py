"""The caps module by itself: cleaning lone surrogates, cutting an answer to MAX_ANSWER_MESSAGES on both paths
(render_answer for the placeholder, StreamingReply against the fake Slack for the stream), and the setting."""

from __future__ import annotations

import json
import logging

import pytest

from oilfx.config import ConfigError, Settings, load_settings
from oilfx.engines.base import Answer
from oilfx.i18n import EN
from oilfx.slack import stream_writer
from oilfx.slack.app import make_client
from oilfx.slack.caps import MAX_ANSWER_MESSAGES, capped, clean_text, cut_at_boundary, cut_note, question_too_long
from oilfx.slack.render import MESSAGE_LIMIT, render_answer
from oilfx.slack.reply import FinalAnswer
from oilfx.slack.streaming import StreamingReply

log = logging.getLogger("test")
HUGE = "\n\n".join(f"Paragraph {i}: " + "crude " * 40 for i in range(500))  # ~125,000 characters


@pytest.mark.parametrize(("raw", "clean"), [
    ("WTI \ud83d", "WTI \ufffd"),                 # a lone high surrogate (JSON "\uD83D")
    ("\ude00 won", "\ufffd won"),                 # a lone low one
    ("\ud83d\ude00", "\U0001F600"),               # a pair split into two code points: its character
    ("₩98,492 \U0001F600", "₩98,492 \U0001F600"),  # valid text is untouched
    ("", ""),
])
def test_lone_surrogates_become_the_replacement_character(raw, clean):
    assert clean_text(raw) == clean
    clean_text(raw).encode("utf-8")  # what the OpenAI request, the store and Slack need


def test_question_note_only_over_the_limit_and_it_names_both_lengths():
    assert question_too_long("x" * 10, 10, EN) is None
    note = question_too_long("x" * 12_345, 10, EN)
    assert note and "12,345 characters" in note and "10 characters" in note and "OILFX_MAX_QUESTION_CHARS" in note


def test_the_setting_defaults_to_4000_and_refuses_nonsense():
    assert Settings().max_question_chars == 4000
    assert load_settings({"OILFX_MAX_QUESTION_CHARS": "120"}).max_question_chars == 120
    for bad in ("0", "-5", "abc", "1.5"):
        with pytest.raises(ConfigError, match="OILFX_MAX_QUESTION_CHARS"):
            load_settings({"OILFX_MAX_QUESTION_CHARS": bad})


def test_a_cut_ends_at_a_boundary_and_closes_an_open_code_fence():
    text = "alpha beta gamma delta"
    assert cut_at_boundary(text, 13) == "alpha beta"
    assert cut_at_boundary(text, 100) == text
    fenced = "Here:\n```\n" + "x = 1\n" * 50 + "```"
    cut = cut_at_boundary(fenced, 60)
    assert cut.count("```") == 2 and cut.endswith("```")


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_capped_packs_at_most_limit_messages_with_the_note_last(limit):
    def pack(text: str) -> list[str]:
        return [text[i:i + 1000] for i in range(0, len(text), 1000)] or [""]

    messages = capped("word " * 5000, pack, EN, limit)
    assert len(messages) <= limit and messages[-1].endswith(cut_note(EN, limit))
    assert capped("short", pack, EN, limit) == ["short"]  # under the cap: untouched, no note


def test_placeholder_path_a_120000_character_answer_is_at_most_the_cap():
    answer = Answer(HUGE, (), "c", "responses")
    messages = render_answer(answer, EN, steps_key="k1", feedback_key="f1")
    assert len(messages) == MAX_ANSWER_MESSAGES
    assert all(len(m.text) <= MESSAGE_LIMIT + 400 for m in messages)
    assert cut_note(EN) in messages[-1].text
    assert messages[-1].blocks[-1]["type"] == "context_actions"  # the buttons are still under the last one
    assert HUGE.startswith(messages[0].text.split("\n")[0])


def test_placeholder_path_an_answer_under_the_cap_is_whole():
    text = "\n\n".join(f"Paragraph {i}: " + "crude " * 40 for i in range(30))  # ~7,500 characters
    messages = render_answer(Answer(text, (), "c", "responses"), EN)
    assert cut_note(EN) not in "".join(m.text for m in messages)
    assert "".join("".join(m.text for m in messages).split()).count("crude") == 30 * 40


@pytest.fixture
def client(slack_server):
    return make_client(load_settings(slack_server.env()))


@pytest.mark.parametrize("streamed", [True, False], ids=["deltas", "final_only"])
def test_streaming_path_a_120000_character_answer_is_at_most_the_cap(slack_server, client, monkeypatch, streamed):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    thread = "103.000001" if streamed else "104.000001"
    reply = StreamingReply(client, "D1", thread, "T1", "U1", log, EN)
    reply.start()
    if streamed:
        for i in range(0, len(HUGE), 500):
            reply.text_delta(HUGE[i:i + 500])
    answer = Answer(HUGE, (), "c", "responses")
    reply.finish(FinalAnswer(answer, EN, feedback_key="k3"))
    posted = slack_server.posted("D1", thread)
    assert len(posted) == MAX_ANSWER_MESSAGES and all(not m.streaming for m in posted)
    assert all(len(m.text) <= stream_writer.STREAM_TEXT_LIMIT for m in posted)
    body = "".join(m.text for m in posted)
    assert body.endswith(cut_note(EN)) and HUGE.startswith(body[:-len(cut_note(EN))].rstrip())
    assert posted[-1].blocks and posted[-1].blocks[-1]["type"] == "context_actions"


def test_streaming_path_lone_surrogates_in_deltas_never_reach_slack(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    reply = StreamingReply(client, "D1", "105.000001", "T1", "U1", log, EN)
    reply.start()
    for delta in ("WTI is up ", "\ud83d", " today."):
        reply.text_delta(delta)
    final = clean_text("WTI is up \ud83d today.")
    answer = Answer(final, (), "c", "responses")
    reply.finish(FinalAnswer(answer, EN))
    appended = [c.params for c in slack_server.calls if c.method in ("chat.appendStream", "chat.stopStream")]
    sent = json.dumps(appended, ensure_ascii=False)
    assert appended and clean_text(sent) == sent
    assert slack_server.posted("D1", "105.000001")[0].text == "WTI is up \ufffd today."
