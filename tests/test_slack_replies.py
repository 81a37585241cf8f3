"""The placeholder reply against the fake Slack with the real WebClient: progress throttling, replacing the
placeholder, overflow into the thread, and recovery when the placeholder is gone."""

from __future__ import annotations

import logging

import pytest

from oilfx.config import load_settings
from oilfx.slack import replies
from oilfx.slack.app import make_client
from oilfx.slack.render import PROGRESS_TEXT, SlackMessage
from oilfx.slack.replies import PlaceholderReply, SlackCallFailed

log = logging.getLogger("test")


@pytest.fixture
def client(slack_server):
    return make_client(load_settings(slack_server.env()))


def test_placeholder_is_updated_at_most_once_per_interval_then_replaced(slack_server, client, monkeypatch):
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 0.0)
    reply = PlaceholderReply(client, "C1", "111.000001", log)
    reply.start()
    reply.progress(["oil_price", "usd_krw"], [])
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 3600.0)
    reply.progress(["usd_krw"], ["oil_price"])  # within the interval: skipped
    reply.finish([SlackMessage("answer one"), SlackMessage("answer two")])
    first = slack_server.message("C1", reply.ts)
    texts = [v["text"] for v in first.versions]
    assert texts[0] == PROGRESS_TEXT
    assert "Dubai, WTI and Brent prices" in texts[1] and "USD/KRW" in texts[1]
    assert texts[2:] == ["answer one"]
    overflow = slack_server.posted("C1", "111.000001")
    assert [m.text for m in overflow] == ["answer one", "answer two"]
    assert overflow[1].thread_ts == "111.000001"


def test_progress_after_finish_never_overwrites_the_answer(slack_server, client, monkeypatch):
    monkeypatch.setattr(replies, "PROGRESS_INTERVAL", 0.0)
    reply = PlaceholderReply(client, "C1", None, log)
    reply.start()
    reply.finish([SlackMessage("final")])
    reply.progress(["oil_price"], [])
    assert slack_server.message("C1", reply.ts).text == "final"


def test_answer_is_posted_anew_when_the_placeholder_was_deleted(slack_server, client):
    reply = PlaceholderReply(client, "C1", "222.000001", log)
    reply.start()
    client.chat_delete(channel="C1", ts=reply.ts)
    reply.finish([SlackMessage("still here")])
    assert [m.text for m in slack_server.posted("C1", "222.000001")] == ["still here"]


def test_a_failed_call_names_method_and_error(slack_server, client, caplog):
    slack_server.fail("chat.postMessage", "channel_not_found")
    reply = PlaceholderReply(client, "C404", None, log)
    with pytest.raises(SlackCallFailed) as raised, caplog.at_level(logging.WARNING):
        reply.start()
    assert raised.value.method == "chat.postMessage" and raised.value.error == "channel_not_found"
    assert "chat.postMessage failed: channel_not_found" in caplog.text
