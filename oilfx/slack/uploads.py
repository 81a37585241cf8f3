"""A PNG into a Slack thread with slack_sdk's `files_upload_v2` (files.getUploadURLExternal, the POST of the bytes to
the URL it returns, files.completeUploadExternal with channel_id + thread_ts + initial_comment), and what a failed
upload leaves: a logged failure with Slack's reason and a one-line note in the thread, never silence.

Never retried as a whole: the file is shared by the one files.completeUploadExternal call (writes.NOT_IDEMPOTENT
keeps the client's retry handler off it too), so a failure never ends in a second copy of the chart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from oilfx.i18n import Texts
from oilfx.slack.render import escape
from oilfx.slack.writes import SlackCallFailed, call

Log = logging.LoggerAdapter | logging.Logger


@dataclass(frozen=True)
class Attachment:
    png: bytes
    filename: str        # "oilfx-wti-3m.png"
    title: str           # the file's title in Slack
    alt_text: str        # what a screen reader says (Slack's alt_txt)
    comment: str = ""    # the message text the file is shared with (trusted mrkdwn: built by us, not the model)


@dataclass(frozen=True)
class UploadResult:
    file_id: str | None = None
    error: str | None = None     # Slack's error code, "HTTP 503", "upload HTTP 500", "TimeoutError"

    @property
    def ok(self) -> bool:
        return self.error is None


def upload_png(client: WebClient, channel: str, thread_ts: str | None, attachment: Attachment,
               log: Log) -> UploadResult:
    """Upload and share the PNG into the thread (or the channel when thread_ts is None); never raises."""
    try:
        response = client.files_upload_v2(
            file=attachment.png, filename=attachment.filename, title=attachment.title,
            alt_txt=attachment.alt_text[:1000],  # Slack refuses longer (alt_txt_too_large)
            channel=channel, thread_ts=thread_ts, initial_comment=attachment.comment or None)
    except SlackApiError as e:
        status = e.response.status_code
        error = f"HTTP {status}" if status >= 500 else str(e.response.get("error") or status)
    except HTTPError as e:  # the POST of the bytes to the upload URL (urllib raises on a non-2xx)
        error = f"upload HTTP {e.code}"
    except SlackRequestError as e:  # the SDK's own check of the upload's answer
        error = f"upload failed ({e})"
    except OSError as e:  # connection errors and timeouts that outlived the client's retries
        error = type(e).__name__
    else:
        file = response.get("file") or {}
        log.info("chart %s uploaded into the thread as %s (%d bytes)", attachment.filename, file.get("id"),
                 len(attachment.png))
        return UploadResult(file_id=file.get("id"))
    log.warning("chart %s not uploaded: %s", attachment.filename, error)
    return UploadResult(error=error)


def failure_note(error: str, texts: Texts) -> str:
    """`_chart could not be attached: <error>_` in the reader's language (Slack's error code as it is)."""
    return "_" + texts.t("chart could not be attached: {error}", error=escape(error)) + "_"


def attach_or_note(client: WebClient, channel: str, thread_ts: str | None, attachment: Attachment,
                   log: Log, texts: Texts) -> UploadResult:
    """upload_png, and when it fails a short note in its place in the thread (the answer above it still stands),
    in `texts` (the thread's reader's language). A note Slack refuses too is only logged: there is nowhere left to
    say it."""
    result = upload_png(client, channel, thread_ts, attachment, log)
    if not result.ok:
        assert result.error is not None
        post_note(client, channel, thread_ts, failure_note(result.error, texts), log)
    return result


def post_note(client: WebClient, channel: str, thread_ts: str | None, note: str, log: Log) -> None:
    """A one-line note (trusted mrkdwn) about a chart in the thread; a note Slack refuses too is only logged."""
    try:
        call(log, "chat.postMessage", client.chat_postMessage, channel=channel, thread_ts=thread_ts,
             text=note)
    except SlackCallFailed as e:
        log.error("could not say the chart was not attached: %s", e)
