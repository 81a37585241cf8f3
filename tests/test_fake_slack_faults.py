"""The fake Slack's ambiguous faults (tests/fakes/slack_faults.py) behave as described: what the client receives,
and what the workspace holds and when."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest


def post(fake, method: str, timeout: float = 5.0, **params) -> tuple[int, str, str]:
    """(status, Content-Type, body) of one Web API call with the bot token."""
    req = urllib.request.Request(f"{fake.api_url}{method}", data=json.dumps(params).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {fake.bot_token}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def test_server_error_is_slacks_html_page_and_is_not_applied(slack_server):
    slack_server.server_error("chat.postMessage", times=1, status=503)
    status, ctype, body = post(slack_server, "chat.postMessage", channel="C1", text="hi")
    assert status == 503 and ctype.startswith("text/html") and "<title>Server Error | Slack</title>" in body
    assert slack_server.posted("C1") == []
    status, _, body = post(slack_server, "chat.postMessage", channel="C1", text="hi")  # only the next 1 call
    assert status == 200 and json.loads(body)["ok"] and len(slack_server.posted("C1")) == 1


def test_answer_late_applies_at_once_and_answers_after(slack_server):
    slack_server.answer_late("chat.postMessage", 1.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        post(slack_server, "chat.postMessage", timeout=0.3, channel="C1", text="late answer")
    assert [m.text for m in slack_server.posted("C1")] == ["late answer"]  # applied before the client gave up
    assert time.monotonic() - started < 1.0


def test_apply_late_applies_only_after_the_delay(slack_server):
    slack_server.apply_late("chat.postMessage", 0.8)
    done = threading.Event()
    threading.Thread(target=lambda: (post(slack_server, "chat.postMessage", channel="C1", text="x"), done.set()),
                     daemon=True).start()
    time.sleep(0.4)
    assert slack_server.posted("C1") == []
    assert done.wait(5) and len(slack_server.posted("C1")) == 1


@pytest.mark.parametrize("error", [None, "internal_error"])
def test_apply_then_fail_applies_and_answers_an_error(slack_server, error):
    posted = json.loads(post(slack_server, "chat.postMessage", channel="C1", text="v1")[2])["ts"]
    slack_server.apply_then_fail("chat.update", error=error)
    status, _, body = post(slack_server, "chat.update", channel="C1", ts=posted, text="v2")
    assert (status, error) == (500, None) or (status == 200 and json.loads(body) == {"ok": False, "error": error})
    assert slack_server.message("C1", posted).text == "v2"  # applied all the same


def test_replies_list_metadata_only_when_asked(slack_server):
    meta = {"event_type": "oilfx_reply", "event_payload": {"event_id": "Ev1", "part": 0}}
    post(slack_server, "chat.postMessage", channel="C1", thread_ts="100.000001", text="tagged", metadata=meta)
    plain = json.loads(post(slack_server, "conversations.replies", channel="C1", ts="100.000001")[2])
    tagged = json.loads(post(slack_server, "conversations.replies", channel="C1", ts="100.000001",
                             include_all_metadata=True)[2])
    assert "metadata" not in plain["messages"][0] and tagged["messages"][0]["metadata"] == meta
    missing = json.loads(post(slack_server, "conversations.replies", channel="C1", ts="999.000001")[2])
    assert missing == {"ok": False, "error": "thread_not_found"}
