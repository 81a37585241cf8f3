"""The streaming reply's state machine (stream_writer.StreamWriter) against the fake Slack with the real WebClient:
which state each Slack outcome leads to, and what each state lets through."""

from __future__ import annotations

import logging

import pytest
from slack_sdk.models.messages.chunk import TaskUpdateChunk

from oilfx.config import load_settings
from oilfx.slack import stream_writer
from oilfx.slack.app import make_client
from oilfx.slack.caps import MAX_ANSWER_MESSAGES
from oilfx.slack.stream_writer import StreamState, StreamWriter

log = logging.getLogger("test")


@pytest.fixture
def writer(slack_server, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    return StreamWriter(make_client(load_settings(slack_server.env())), "C1", "400.000001", "T1", "U1", log)


def test_open_streams_then_close_stops_with_the_blocks(slack_server, writer):
    assert writer.state is StreamState.NOT_STARTED
    ts = writer.open()
    assert writer.state is StreamState.STREAMING
    writer.queue_chunk(TaskUpdateChunk(id="task_1", title="Fetching WTI", status="in_progress"))
    writer.queue_text("WTI rose.")
    assert writer.close(blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": "Sources"}]}])
    assert writer.state is StreamState.CLOSED
    msg = slack_server.message("C1", ts)
    assert not msg.streaming and msg.text == "WTI rose." and msg.blocks[0]["type"] == "context"
    assert [c["type"] for c in msg.chunks()] == ["task_update", "markdown_text"]  # chunk models reach Slack as JSON
    stop = slack_server.calls_to("chat.stopStream")[-1]
    assert "chunks" not in stop.params  # nothing was pending: no empty chunks array


def test_a_refused_append_breaks_the_stream_and_nothing_more_goes_out(slack_server, writer):
    writer.open()
    slack_server.fail("chat.appendStream", "internal_error")
    writer.queue_text("first")
    assert writer.state is StreamState.BROKEN
    writer.queue_text("second")
    writer.queue_chunk(TaskUpdateChunk(id="task_1", title="t", status="in_progress"))
    assert len(slack_server.calls_to("chat.appendStream")) == 1
    assert not writer.close()  # the answer replaces it
    kept = writer.end()
    assert writer.state is StreamState.CLOSED and kept == set(writer.ts)
    assert not slack_server.message("C1", writer.ts[0]).streaming


def test_an_adopted_stream_is_broken_from_the_start_and_only_stopped(slack_server, writer):
    client = make_client(load_settings(slack_server.env()))
    dead = client.chat_startStream(channel="C1", thread_ts="400.000001", recipient_team_id="T1",
                                   recipient_user_id="U1")["ts"]
    writer.adopt(dead, broken=True)
    assert writer.state is StreamState.BROKEN
    writer.queue_text("nothing")
    assert not slack_server.calls_to("chat.appendStream")
    assert writer.end() == {dead} and not slack_server.message("C1", dead).streaming


def test_a_stream_slack_stopped_already_counts_as_stopped(slack_server, writer):
    ts = writer.open()
    make_client(load_settings(slack_server.env())).chat_stopStream(channel="C1", ts=ts)
    slack_server.fail("chat.appendStream", "message_not_in_streaming_state")
    writer.queue_text("late")
    assert writer.end() == {ts} and not slack_server.calls_to("chat.delete")


def test_text_past_the_limit_rolls_over_to_a_new_message(slack_server, writer, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_TEXT_LIMIT", 100)
    writer.open()
    writer.queue_text("crude " * 30)
    assert writer.state is StreamState.STREAMING and len(writer.ts) >= 2
    assert writer.close()
    texts = [slack_server.message("C1", ts).text for ts in writer.ts]
    assert "".join(texts) == "crude " * 30 and all(len(t) <= 100 for t in texts)


def test_past_the_answer_cap_the_stream_is_full_and_takes_only_the_closing_line(slack_server, writer, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_TEXT_LIMIT", 400)
    writer.open()
    writer.queue_text("crude " * 1000)
    assert writer.state is StreamState.FULL and len(writer.ts) == MAX_ANSWER_MESSAGES
    writer.queue_text("dropped")
    writer.queue_last("\n\n(cut)")
    assert writer.close()
    texts = [slack_server.message("C1", ts).text for ts in writer.ts]
    assert texts[-1].endswith("(cut)") and "dropped" not in "".join(texts)


def test_a_closed_stream_takes_nothing_and_cannot_reopen(writer):
    writer.open()
    writer.end()
    writer.queue_text("after")
    with pytest.raises(AssertionError):
        writer._to(StreamState.STREAMING)
