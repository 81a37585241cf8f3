"""The chart upload: slack_sdk's real `files_upload_v2` against the fake Slack's upload flow (slack_files.py), and
oilfx.slack.uploads on top of it: the bytes arrive intact in the thread; each refusal and fault ends in Slack's
reason, logged and noted in the thread, and never in a second copy of the chart."""

from __future__ import annotations

import logging
import urllib.request
from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.i18n import EN
from oilfx.slack.uploads import Attachment, attach_or_note, failure_note, upload_png
from oilfx.slack.writes import retry_handlers
from tests.fakes.slack_server import FakeSlack

CHANNEL = "C0CHARTS01"
THREAD = "1700000000.000100"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # any bytes: the flow must carry them unchanged
log = logging.getLogger("test.uploads")


@pytest.fixture
def client(slack_server: FakeSlack) -> WebClient:
    # As the bot builds it (app.make_client): the same retry handlers, a short timeout.
    return WebClient(token=slack_server.bot_token, base_url=slack_server.api_url, timeout=1,
                     retry_handlers=retry_handlers())


def attachment(comment: str = "WTI, 3 months") -> Attachment:
    return Attachment(PNG, "oilfx-wti-3m.png", "WTI 3m", "Line chart of WTI closes", comment)


def test_files_upload_v2_shares_the_bytes_unchanged_into_the_thread(slack_server, client):
    response = client.files_upload_v2(file=PNG, filename="chart.png", title="Chart", channel=CHANNEL,
                                      thread_ts=THREAD, initial_comment="here it is", alt_txt="a chart")
    [shared] = slack_server.uploaded(CHANNEL, THREAD)
    assert shared.data == PNG and response["file"]["id"] == shared.id and shared.title == "Chart"
    ask = slack_server.calls_to("files.getUploadURLExternal")[0].params
    assert ask["filename"] == "chart.png" and int(ask["length"]) == len(PNG)
    [message] = [m for m in slack_server.posted(CHANNEL, THREAD) if m.kind == "file"]
    assert message.thread_ts == THREAD and message.text == "here it is"
    [file] = message.params["files"]
    assert (file["id"], file["name"], file["mimetype"], file["size"]) == (shared.id, "chart.png", "image/png",
                                                                          len(PNG))
    replies = client.conversations_replies(channel=CHANNEL, ts=THREAD)["messages"]
    assert [m["files"][0]["id"] for m in replies if m.get("files")] == [shared.id]


def test_get_upload_url_refuses_what_slack_refuses(slack_server, client):
    with pytest.raises(SlackApiError) as missing:
        client.api_call("files.getUploadURLExternal", params={"length": 10})
    assert missing.value.response["error"] == "invalid_arguments"
    assert "filename" in missing.value.response["response_metadata"]["messages"][0]
    with pytest.raises(SlackApiError) as empty:
        client.files_getUploadURLExternal(filename="chart.png", length=0)
    assert empty.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as alt:
        client.files_getUploadURLExternal(filename="chart.png", length=10, alt_txt="x" * 1001)
    assert alt.value.response["error"] == "alt_txt_too_large"
    # oilfx keeps within it: a long summary as alt text is cut, not refused
    long = Attachment(PNG, "c.png", "c", "y" * 5000)
    assert upload_png(client, CHANNEL, THREAD, long, log).ok


def test_complete_refuses_a_file_never_uploaded_completed_twice_or_a_bad_channel(slack_server, client):
    ticket = client.files_getUploadURLExternal(filename="chart.png", length=len(PNG))
    files = [{"id": ticket["file_id"], "title": "chart"}]
    with pytest.raises(SlackApiError) as early:
        client.files_completeUploadExternal(files=files, channel_id=CHANNEL)
    assert early.value.response["error"] == "file_not_found"
    with pytest.raises(HTTPError) as short:  # a body that is not the announced length
        urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=PNG[:-1], method="POST"))
    assert short.value.code == 400
    with urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=PNG, method="POST")) as answer:
        assert answer.status == 200 and answer.read().decode() == f"OK - {len(PNG)}"
    with pytest.raises(SlackApiError) as channel:
        client.files_completeUploadExternal(files=files, channel_id="general")
    assert channel.value.response["error"] == "invalid_arguments"
    client.files_completeUploadExternal(files=files, channel_id=CHANNEL)
    with pytest.raises(SlackApiError) as twice:
        client.files_completeUploadExternal(files=files, channel_id=CHANNEL)
    assert twice.value.response["error"] == "file_not_found"
    assert len(slack_server.uploaded(CHANNEL)) == 1


def test_upload_png_returns_the_file_id(slack_server, client):
    result = upload_png(client, CHANNEL, THREAD, attachment(), log)
    [shared] = slack_server.uploaded(CHANNEL, THREAD)
    assert result.ok and result.file_id == shared.id and shared.data == PNG


@pytest.mark.parametrize(("fault", "reason"), [
    (lambda s: s.fail("files.completeUploadExternal", "not_in_channel"), "not_in_channel"),
    (lambda s: s.fail("files.getUploadURLExternal", "file_uploads_disabled"), "file_uploads_disabled"),
    (lambda s: s.fail_uploads(503), "upload HTTP 503"),
    (lambda s: s.server_error("files.completeUploadExternal", status=502), "HTTP 502"),
    (lambda s: s.answer_late("files.completeUploadExternal", 1.5), "TimeoutError"),
])
def test_a_failed_upload_is_noted_in_the_thread_once_and_never_repeated(slack_server, client, caplog, fault, reason):
    fault(slack_server)
    with caplog.at_level(logging.WARNING, logger="test.uploads"):
        result = attach_or_note(client, CHANNEL, THREAD, attachment(), log, EN)
    assert result.error == reason
    assert f"not uploaded: {reason}" in caplog.text
    notes = [m for m in slack_server.posted(CHANNEL, THREAD) if m.kind == "message"]
    assert [m.text for m in notes] == [failure_note(reason, EN)]
    # One attempt at each step: the share is never retried, so never a second copy.
    assert len(slack_server.calls_to("files.completeUploadExternal")) <= 1
    assert len(slack_server.uploaded(CHANNEL)) <= 1
