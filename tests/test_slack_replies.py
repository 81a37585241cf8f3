"""The placeholder reply against the fake Slack with the real WebClient: progress throttling, replacing the
placeholder, overflow into the thread, and recovery when the placeholder is gone."""

from __future__ import annotations

import logging

import pytest

from oilfx.config import load_settings
from oilfx.i18n import EN
from oilfx.slack import replies
from oilfx.slack.app import make_client
from oilfx.slack.render import MESSAGE_LIMIT, SlackMessage, progress_text
from oilfx.slack.replies import PlaceholderReply, SlackCallFailed

log = logging.getLogger("test")


@pytest.fixture
def client(slack_server):
    return make_client(load_settings(slack_server.env()))


def test_placeholder_is_updated_at_most_once_per_interval_then_replaced(slack_server, client, monkeypatch):
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 0.0)
    reply = PlaceholderReply(client, "C1", "111.000001", log, EN)
    reply.start()
    reply.progress(["oil_price", "usd_krw"], [])
    slack_server.wait_for_call("chat.update")  # sent off the turn's thread; the answer would supersede it
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 3600.0)
    reply.progress(["usd_krw"], ["oil_price"])  # within the interval: skipped
    reply.deliver([SlackMessage("answer one"), SlackMessage("answer two")])
    first = slack_server.message("C1", reply.ts)
    texts = [v["text"] for v in first.versions]
    assert texts[0] == progress_text(EN)
    assert "Dubai, WTI and Brent prices" in texts[1] and "USD/KRW" in texts[1]
    assert texts[2:] == ["answer one"]
    overflow = slack_server.posted("C1", "111.000001")
    assert [m.text for m in overflow] == ["answer one", "answer two"]
    assert overflow[1].thread_ts == "111.000001"


def test_progress_after_finish_never_overwrites_the_answer(slack_server, client, monkeypatch):
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 0.0)
    reply = PlaceholderReply(client, "C1", None, log, EN)
    reply.start()
    reply.deliver([SlackMessage("final")])
    reply.progress(["oil_price"], [])
    assert slack_server.message("C1", reply.ts).text == "final"


def test_answer_is_posted_anew_when_the_placeholder_was_deleted(slack_server, client):
    reply = PlaceholderReply(client, "C1", "222.000001", log, EN)
    reply.start()
    client.chat_delete(channel="C1", ts=reply.ts)
    reply.deliver([SlackMessage("still here")])
    assert [m.text for m in slack_server.posted("C1", "222.000001")] == ["still here"]


def test_a_failed_call_names_method_and_error(slack_server, client, caplog):
    slack_server.fail("chat.postMessage", "channel_not_found")
    reply = PlaceholderReply(client, "C404", None, log, EN)
    with pytest.raises(SlackCallFailed) as raised, caplog.at_level(logging.WARNING):
        reply.start()
    assert raised.value.method == "chat.postMessage" and raised.value.error == "channel_not_found"
    assert "chat.postMessage failed: channel_not_found" in caplog.text


# --- Slack refusing the answer's content: plain text, then an apology (issue 13, item 2) -------------------------

def evil_answer(paragraphs: int = 1) -> list[SlackMessage]:
    """A rendered answer whose model text tries to ping everyone; `paragraphs` x ~1,000 characters."""
    from oilfx.engines.base import Answer
    from oilfx.slack.render import render_answer

    text = "\n\n".join(f"Part {i}: <!channel> <@U0BOSS> WTI is up. " + "crude " * 160 for i in range(paragraphs))
    return render_answer(Answer(text, (), "c", "responses"), EN, feedback_key="k")


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_blocks_too_long", "too_many_blocks"])
def test_refused_blocks_the_answer_replaces_the_placeholder_as_plain_text(slack_server, client, error):
    slack_server.refuse_blocks(error, methods=("chat.update", "chat.postMessage"))
    slack_server.clear_faults("chat.postMessage")  # the placeholder itself goes up
    reply = PlaceholderReply(client, "C1", "300.000001", log, EN)
    reply.start()
    slack_server.refuse_blocks(error, methods=("chat.postMessage",))
    messages = evil_answer(8)  # ~8,000 characters: more than one message
    reply.deliver(messages)
    posted = slack_server.posted("C1", "300.000001")
    assert posted[0].ts == reply.ts and all(not m.blocks for m in posted)  # in place of the placeholder
    text = "\n\n".join(m.text for m in posted)
    assert len(posted) >= 3 and all(len(m.text) <= MESSAGE_LIMIT for m in posted)
    assert all(f"Part {i}:" in text for i in range(8)) and "No market data used" in text  # body and sources
    assert "<!channel>" not in text and "<@U0BOSS>" not in text  # still neutralised
    assert text.replace("\n", " ").split() == "\n\n".join(m.text for m in messages).replace("\n", " ").split()
    refused = [c for c in slack_server.calls if not c.ok]
    assert refused and all(c.response["error"] == error for c in refused)


def test_refused_blocks_then_refused_text_leaves_a_one_line_apology(slack_server, client):
    reply = PlaceholderReply(client, "C1", "301.000001", log, EN)
    reply.start()
    slack_server.refuse_blocks("invalid_blocks")
    slack_server.refuse_text("msg_too_long", longer_than=200)
    reply.deliver(evil_answer(2))
    [message] = slack_server.posted("C1", "301.000001")
    assert message.ts == reply.ts and "Slack refused this answer (msg_too_long)" in message.text
    assert "Looking up" not in message.all_text and "\n" not in message.text


def test_invalid_blocks_is_refused_as_slack_refuses_it(slack_server, client):
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "section", "text": {
            "type": "mrkdwn", "text": "x" * 3001}}])
    response = raised.value.response
    assert response.status_code == 200 and response["ok"] is False and response["error"] == "invalid_blocks"
    assert response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
