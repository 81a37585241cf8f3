"""manifest.yml against the code: every event, command and action the listeners register is declared, every Web
API method the code calls is covered by a granted scope, and the features the bot relies on are on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from oilfx.slack.listeners import register_listeners

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Scopes each bot-token Web API method needs (docs.slack.dev/reference/methods/<method>, "Required scopes").
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.delete": {"chat:write"},
    "reactions.add": {"reactions:write"},
    "users.info": {"users:read"},
    "conversations.info": {"channels:read"},
    # Looking for a post whose outcome was unknown (writes.find_posted), in every kind of conversation we answer in.
    "conversations.replies": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "conversations.history": {"channels:history", "groups:history", "im:history", "mpim:history"},
    "chat.startStream": {"chat:write"},
    "chat.appendStream": {"chat:write"},
    "chat.stopStream": {"chat:write"},
    "assistant.threads_setStatus": {"assistant:write"},
    "assistant.threads_setTitle": {"assistant:write"},
    "assistant.threads_setSuggestedPrompts": {"assistant:write"},
    # slack_sdk's files_upload_v2: files.getUploadURLExternal and files.completeUploadExternal, both files:write
    "files.upload_v2": {"files:write"},
    "views.publish": set(),   # no scope required (docs.slack.dev/reference/methods/views.publish)
}
# What Bolt's Assistant middleware calls for us (set_status, set_title, set_suggested_prompts, say).
ASSISTANT_METHODS = ("assistant.threads_setStatus", "assistant.threads_setTitle",
                     "assistant.threads_setSuggestedPrompts", "chat.postMessage")
# Scopes each subscribed bot event needs (docs.slack.dev/reference/events/<event>).
EVENT_SCOPES = {"app_mention": {"app_mentions:read"}, "message.im": {"im:history"},
                "assistant_thread_started": {"assistant:write"},
                "assistant_thread_context_changed": {"assistant:write"},
                "app_home_opened": set(),   # no scope (docs.slack.dev/reference/events/app_home_opened)
                "app_uninstalled": set(), "tokens_revoked": set()}
# A registered `message` listener is satisfied by any of these subscriptions.
MESSAGE_EVENTS = {"message.im", "message.channels", "message.groups", "message.mpim"}


class RecordingApp:
    """Stands in for Bolt's App at registration time only: records what each listener registers for."""

    def __init__(self) -> None:
        self.registered: dict[str, list[Any]] = {"event": [], "command": [], "action": []}

    def _record(self, kind: str, key: Any):
        self.registered[kind].append(key)
        return lambda fn: fn

    def event(self, key: Any):
        return self._record("event", key)

    def command(self, key: Any):
        return self._record("command", key)

    def action(self, key: Any):
        return self._record("action", key)

    def assistant(self, assistant: Any) -> None:  # Bolt's Assistant middleware: the events it handles
        from oilfx.slack.listeners.assistant import EVENTS

        self.registered["event"].extend(EVENTS)
        self.registered.setdefault("assistant", []).append(assistant)


def registered() -> dict[str, list[Any]]:
    app = RecordingApp()
    register_listeners(app, deps=None)  # type: ignore[arg-type]  # callbacks only close over deps
    return app.registered


def bot_events() -> set[str]:
    return set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def bot_scopes() -> set[str]:
    return set(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_every_registered_event_is_subscribed():
    events = registered()["event"]
    assert events, "no event listeners registered"
    for event in events:
        if event == "message":
            assert bot_events() & MESSAGE_EVENTS, "a message listener needs a message.* subscription"
        else:
            assert event in bot_events()


def test_every_registered_command_is_declared():
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert registered()["command"] and set(registered()["command"]) <= declared


def test_actions_need_interactivity():
    assert registered()["action"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True


def test_the_home_tab_is_enabled_for_its_event():
    assert "app_home_opened" in registered()["event"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_socket_mode_and_bot_user():
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"]


def called_methods() -> set[str]:
    """Web API methods the code calls through a WebClient (`client.chat_postMessage(` -> chat.postMessage)."""
    pattern = re.compile(r"\bclient\.((?:chat|auth|reactions|users|conversations|assistant|apps|views|files)_\w+)")
    found: set[str] = set()
    for path in [ROOT / "bot.py", *(ROOT / "oilfx").rglob("*.py")]:
        for name in pattern.findall(path.read_text()):
            family, _, method = name.partition("_")
            found.add(f"{family}.{method}")
    return found


def test_assistant_panel_is_enabled_with_its_scope():
    assert registered().get("assistant"), "the Assistant middleware is not registered"
    assert MANIFEST["features"]["assistant_view"]["assistant_description"]
    for method in ASSISTANT_METHODS:
        assert METHOD_SCOPES[method] <= bot_scopes(), f"{method} needs {METHOD_SCOPES[method]}"


def test_every_called_method_is_covered_by_granted_scopes():
    methods = called_methods()
    assert "chat.postMessage" in methods
    for method in methods:
        assert method in METHOD_SCOPES, f"{method}: add its required scopes to METHOD_SCOPES"
        assert METHOD_SCOPES[method] <= bot_scopes(), f"{method} needs {METHOD_SCOPES[method]}"


def test_subscriptions_and_commands_have_their_scopes():
    for event in bot_events():
        assert EVENT_SCOPES[event] <= bot_scopes()
    if MANIFEST["features"].get("slash_commands"):
        assert "commands" in bot_scopes()



def test_no_scope_is_granted_that_nothing_uses():
    """Least privilege: every granted scope is needed by a method the code (or Bolt's Assistant for us) calls, a
    subscribed event or the slash command. im:read/im:write were granted and never used (no conversations.* call)."""
    used = set().union(*(METHOD_SCOPES[m] for m in called_methods() | set(ASSISTANT_METHODS)),
                       *(EVENT_SCOPES[e] for e in bot_events()))
    if MANIFEST["features"].get("slash_commands"):
        used.add("commands")
    granted_but_unused = bot_scopes() - used
    assert not granted_but_unused, f"scopes granted but not used: {granted_but_unused}"
