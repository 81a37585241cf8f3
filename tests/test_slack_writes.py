"""writes.py against the fake Slack: a post whose outcome is unknown is posted exactly once, and the client retries
5xx and timeouts only for calls that are safe to repeat."""

from __future__ import annotations

import logging

import pytest

from oilfx.config import load_settings
from oilfx.slack.app import make_client
from oilfx.slack.writes import META_TYPE, SlackCallFailed, call, find_posted, post_once

log = logging.getLogger("test")
TIMEOUT = 1.0  # OILFX_SLACK_TIMEOUT for these tests


@pytest.fixture
def client(slack_server):
    return make_client(load_settings({**slack_server.env(), "OILFX_SLACK_TIMEOUT": str(TIMEOUT)}))


# (what Slack does to the first chat.postMessage, how many times)
POST_FAULTS = [
    ("server_error", 1), ("server_error", 2),   # not applied: posted by a later attempt
    ("answer_late", 1),                          # applied, answered after the timeout: found, not posted again
    ("apply_then_fail", 1),                      # applied, answered with the 5xx page: found
    ("apply_then_fail_200", 1),                  # applied, answered HTTP 200 internal_error: found
]


@pytest.mark.parametrize(("fault", "times"), POST_FAULTS)
def test_a_post_whose_outcome_is_unknown_is_posted_exactly_once(slack_server, client, fault, times):
    if fault == "answer_late":
        slack_server.answer_late("chat.postMessage", TIMEOUT + 1.0, times=times)
    elif fault == "apply_then_fail_200":
        slack_server.apply_then_fail("chat.postMessage", times=times, error="internal_error")
    else:
        getattr(slack_server, fault)("chat.postMessage", times=times)
    ts, unsure = post_once(client, log, "C1", "100.000001", "the answer", None, key="Ev1", part=0)
    assert unsure  # a late copy could still appear: the caller sweeps
    posted = slack_server.posted("C1")
    assert [m.ts for m in posted] == [ts] and posted[0].text == "the answer"
    assert posted[0].params["metadata"] == {"event_type": META_TYPE, "event_payload": {"event_id": "Ev1", "part": 0}}
    assert find_posted(client, log, "C1", "100.000001", "Ev1") == {0: [ts]}


def test_a_post_failing_every_attempt_raises_without_posting(slack_server, client):
    slack_server.server_error("chat.postMessage", times=None)
    with pytest.raises(SlackCallFailed, match="HTTP 500"):
        post_once(client, log, "C1", "100.000001", "the answer", None, key="Ev2")
    assert slack_server.posted("C1") == []


def test_posts_are_not_retried_blindly_but_updates_are(slack_server, client):
    """The client itself repeats a chat.update answered with a 5xx or too late, never a chat.postMessage."""
    slack_server.server_error("chat.postMessage", times=1)
    with pytest.raises(SlackCallFailed, match="HTTP 500"):
        call(log, "chat.postMessage", client.chat_postMessage, channel="C1", text="x")
    assert len(slack_server.calls_to("chat.postMessage")) == 1
    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    slack_server.server_error("chat.update", times=1, status=503)
    slack_server.answer_late("chat.update", TIMEOUT + 0.5, times=1)
    client.chat_update(channel="C1", ts=ts, text="v2")
    updates = slack_server.calls_to("chat.update")
    assert [c.status for c in updates] == [503, 200, 200] and slack_server.message("C1", ts).text == "v2"
