"""The real-shaped Slack payloads in ../shared/slack_payloads (read at test time, never copied), made deliverable to
one fake workspace with exactly the changes ../shared/slack_payloads/PROVENANCE.md lists for each check:

- ids pointed at the bot: the sample's bot user id (in mentions, `authorizations`) becomes the fake's bot user;
- moved to the DM: `channel` becomes a DM channel, `channel_type` "im";
- every delivery gets a fresh `event_id` (Slack's are unique; bolt-python's samples all say "Ev111"), except a
  retry, which keeps its event's;
- `channel` is the test's own, so tests sharing one bot process (and its store) never see each other's messages.

    real = RealPayloads(fake.workspace)
    payload = real.mention("C0REAL01")              # docs.app_mention, pointed at the bot
    fake.deliver("events_api", payload)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.fakes.slack_payloads import Workspace, new_event_id, new_trigger_id

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "slack_payloads"
DM_QUESTION = "WTI in won now?"


def load(name: str) -> dict[str, Any]:
    """One sample as Slack sent it (a fresh copy each call)."""
    return json.loads((SHARED / name).read_text())


def replace_ids(payload: Any, ids: dict[str, str]) -> Any:
    """`payload` with every occurrence of each id (in values and inside `<@id>` mentions) replaced."""
    text = json.dumps(payload)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


class RealPayloads:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    # -- wrapping ------------------------------------------------------------------------------------------------

    def _callback(self, event: dict[str, Any], outer: dict[str, Any] | None = None) -> dict[str, Any]:
        """An `event_callback` body for `event`: the sample's own outer fields where it has them, a fresh event_id."""
        body = self.ws.event_callback(event)
        body.update({k: v for k, v in (outer or {}).items() if k not in {"event", "event_id"}})
        body["type"] = "event_callback"
        body["event_id"] = new_event_id()
        return body

    def _in_dm(self, name: str, channel: str, bot_id: str | None = None) -> dict[str, Any]:
        """A bolt-python message sample moved to the DM `channel` (PROVENANCE: "Moved to the DM")."""
        payload = load(name)
        if bot_id:
            payload = replace_ids(payload, {bot_id: self.ws.bot_user_id})
        payload["event"].update({"channel": channel, "channel_type": "im"})
        return self._callback(payload["event"], payload)

    # -- @mentions -----------------------------------------------------------------------------------------------

    def mention(self, channel: str) -> dict[str, Any]:
        """docs.app_mention.json: the docs' app_mention, its `<@U0LAN0Z89>` pointed at the bot."""
        payload = replace_ids(load("docs.app_mention.json"), {"U0LAN0Z89": self.ws.bot_user_id})
        payload["event"]["channel"] = channel
        return self._callback(payload["event"], payload)

    def mention_with_files(self, channel: str) -> dict[str, Any]:
        """bolt-js.app_mention_rich_text_files.json: an app_mention carrying `files` (bolt-js PR #2057)."""
        event = replace_ids(load("bolt-js.app_mention_rich_text_files.json"), {"U066C7XNE6M": self.ws.bot_user_id})
        event["channel"] = channel
        return self._callback(event)

    def edited_mention(self, channel: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """slack-go.app_mention_edited_envelope.json: (the original delivery, the edit Slack re-sends: same ts,
        `edited`, a new event_id). Adds `channel`, `event_ts` and `client_msg_id`, sets the text."""
        sample = load("slack-go.app_mention_edited_envelope.json")["payload"]
        event = sample["event"]
        event.update({"channel": channel, "event_ts": event["ts"], "client_msg_id": f"msg-{new_event_id()}",
                      "text": f"<@{self.ws.bot_user_id}> {text}"})
        original = {k: v for k, v in event.items() if k != "edited"}
        return self._callback(original, sample), self._callback(copy.deepcopy(event), sample)

    def broadcast_mention(self, channel: str, in_thread_reply: bool = False) -> dict[str, Any]:
        """slacknet.app_mention_edited_thread_broadcast.json without `edited`: a thread reply @mentioning the bot,
        "also sent to the channel" (subtype thread_broadcast, with `root`). in_thread_reply=True: a plain thread
        reply (no subtype, no root). The `...` ids are filled, `channel` and `team` added."""
        event = load("slacknet.app_mention_edited_thread_broadcast.json")
        event = replace_ids(event, {"<@...>": f"<@{self.ws.bot_user_id}>", '"..."': json.dumps(self.ws.user_id)})
        event.pop("edited")
        event.update({"channel": channel, "team": self.ws.team_id})
        event["root"]["team"] = self.ws.team_id
        if in_thread_reply:
            event.pop("subtype")
            event.pop("root")
        return self._callback(event)

    def mention_from_bot(self, channel: str) -> dict[str, Any]:
        """slack-go.app_mention_from_bot.json: another app's post mentioning us (bot_id, bot_profile). Adds `type`,
        `text`, `ts`, `event_ts`; the attachment's `<@MYBOTID>` points at the bot."""
        payload = replace_ids(load("slack-go.app_mention_from_bot.json"), {"MYBOTID": self.ws.bot_user_id})
        ts = self.ws.next_ts()
        payload["event"].update({"type": "app_mention", "channel": channel, "ts": ts, "event_ts": ts,
                                 "text": f"My test event CC <@{self.ws.bot_user_id}>"})
        return self._callback(payload["event"], payload)

    # -- DMs -----------------------------------------------------------------------------------------------------

    def dm_user_message(self, channel: str) -> dict[str, Any]:
        payload = self._in_dm("bolt-python.message_user.json", channel)
        payload["event"]["user"] = self.ws.user_id
        return payload

    def dm_file_share(self, channel: str) -> dict[str, Any]:
        return self._in_dm("bolt-python.message_file_share.json", channel)

    def dm_thread_broadcast(self, channel: str) -> dict[str, Any]:
        return self._in_dm("bolt-python.message_thread_broadcast.json", channel)

    def dm_ignored(self, channel: str) -> dict[str, dict[str, Any]]:
        """The DM events that are not questions, by the check's name."""
        echo = self._in_dm("bolt-python.message_bot_profile.json", channel)
        ws = self.ws
        echo["event"].update({"user": ws.bot_user_id, "bot_id": ws.bot_id})
        echo["event"]["bot_profile"].update({"id": ws.bot_id, "app_id": ws.app_id, "team_id": ws.team_id})
        return {
            "dm_bot_profile": self._in_dm("bolt-python.message_bot_profile.json", channel),
            "dm_own_echo": echo,
            "dm_classic_bot_message": self._in_dm("bolt-python.message_classic_bot_message.json", channel),
            "dm_message_changed": self._in_dm("bolt-python.message_changed.json", channel),
            "dm_message_deleted": self._in_dm("bolt-python.message_deleted.json", channel),
        }

    # -- the assistant panel (bolt-python's samples: bot W111, user W222, panel D111) -----------------------------

    def assistant(self, name: str) -> dict[str, Any]:
        payload = replace_ids(load(f"bolt-python.{name}.json"), {"W111": self.ws.bot_user_id})
        payload["event_id"] = new_event_id()
        return payload

    def assistant_question(self, text: str) -> dict[str, Any]:
        """assistant_user_message_action_token with its text set."""
        payload = self.assistant("assistant_user_message_action_token")
        payload["event"]["text"] = text
        return payload

    def assistant_file_share(self, text: str) -> dict[str, Any]:
        """A panel message with message_file_share's `files` (subtype file_share), posted after the first one."""
        payload = self.assistant_question(text)
        payload["event"].update({"files": load("bolt-python.message_file_share.json")["event"]["files"],
                                 "subtype": "file_share", "upload": False, "ts": "1726133702.000100",
                                 "event_ts": "1726133702.000100"})
        return payload

    # -- interactivity and commands ------------------------------------------------------------------------------

    def feedback_click(self, message: dict[str, Any], channel: str, base_url: str) -> dict[str, Any]:
        """bolt-python.block_actions.json on an answer: the container points at it, `message` is it, and the one
        action is its feedback_buttons' positive button (the shape of bolt-js PR #2665's FeedbackButtonsAction)."""
        body = load("bolt-python.block_actions.json")
        block = next(b for b in message.get("blocks") or [] if b.get("type") == "context_actions")
        element = next(e for e in block["elements"] if e.get("type") == "feedback_buttons")
        body["container"].update({"message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False,
                                  "thread_ts": message.get("thread_ts") or message["ts"]})
        body["channel"]["id"] = channel
        body["message"] = message
        body["actions"] = [{"type": "feedback_buttons", "action_id": element["action_id"],
                            "block_id": block["block_id"], "value": element["positive_button"]["value"],
                            "action_ts": f"{float(message['ts']) + 1:.6f}"}]
        body["response_url"] = f"{base_url.rstrip('/')}/actions/T111/111/random-value"
        return body

    def oilprice_envelope(self, channel: str, base_url: str) -> dict[str, Any]:
        """bolt-python's Socket Mode slash-command envelope as a bare `/oilprice`."""
        envelope = load("bolt-python.socket_mode_slash_command_envelope.json")
        envelope["payload"].update({"command": "/oilprice", "text": "", "channel_id": channel,
                                    "trigger_id": new_trigger_id(),
                                    "response_url": f"{base_url.rstrip('/')}/commands/T111/111/xxx"})
        return envelope

    @staticmethod
    def retry_envelope(payload: dict[str, Any]) -> dict[str, Any]:
        """bolt-python's Socket Mode retry envelope (retry_attempt 1, retry_reason "timeout") carrying `payload`
        again, with its event_id: Slack redelivering an event it saw no ack for."""
        envelope = load("bolt-python.socket_mode_events_api_retry_envelope.json")
        envelope["payload"] = payload
        return envelope
