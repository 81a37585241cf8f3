"""One streamed Slack message: slack_sdk's ChatStream, adjusted where a turn needs more than it does.

ChatStream sends chat.startStream lazily with its first flush, buffers markdown_text by size, and stops with
`chunks: []` when nothing is left. A turn needs three things it does not do, each a small override here:
- open() starts the stream at once, with nothing in it: the user sees the reply begin while the model's first
  round runs, we learn at once whether Slack streams here (or the turn falls back to a placeholder), and the
  stream's ts is registered so another process can finish the turn if this one dies.
- adopt(ts) takes over a stream another (killed) process started, to stop it.
- stop() omits `chunks` when there are none: the documented shape, and what our streams always sent.
Batching stays ours (stream_writer.py): every append passes `chunks`, which ChatStream sends at once, so its own
size buffer never holds anything back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.messages.chunk import Chunk
from slack_sdk.web.chat_stream import ChatStream
from slack_sdk.web.slack_response import SlackResponse

TASK_DISPLAY_MODE = "timeline"
_IN_PROGRESS, _COMPLETED = "in_progress", "completed"  # ChatStream's own state names

logger = logging.getLogger(__name__)


class TurnStream(ChatStream):
    def __init__(self, client: WebClient, channel: str, thread_ts: str, team: str, user: str) -> None:
        super().__init__(client, channel=channel, logger=logger, thread_ts=thread_ts, buffer_size=1,
                         recipient_team_id=team or None, recipient_user_id=user or None,
                         task_display_mode=TASK_DISPLAY_MODE)

    @property
    def is_open(self) -> bool:
        return self._state == _IN_PROGRESS

    def open(self) -> str:
        """chat.startStream with nothing in it; the new message's ts."""
        response = self._client.chat_startStream(**self._stream_args)
        self._started(str(response["ts"]))
        return str(response["ts"])

    def adopt(self, ts: str) -> None:
        """A stream Slack started for us already (its start answered late, or another process started it)."""
        self._started(ts)

    def _started(self, ts: str) -> None:
        self._stream_ts, self._state = ts, _IN_PROGRESS

    def stop(self, *, chunks: Sequence[dict[str, Any] | Chunk] | None = None,  # type: ignore[override]
             blocks: Sequence[dict[str, Any]] | None = None, **kwargs: Any) -> SlackResponse:
        """Stop with `chunks` and `blocks` under the text. Raises (and stays open) if Slack refuses."""
        response = self._client.chat_stopStream(channel=self._stream_args["channel"], ts=self._stream_ts,
                                                chunks=list(chunks) if chunks else None, blocks=blocks, **kwargs)
        self._state = _COMPLETED
        return response

    def stopped(self) -> None:
        """Slack stopped it already (message_not_in_streaming_state), or it was deleted."""
        self._state = _COMPLETED
