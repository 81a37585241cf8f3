"""What the fake Slack refuses, as Slack does (HTTP 200, {"ok": false, "error": ...}): a call missing a required
argument (REQUIRED_ARGS), content over Slack's limits (msg_too_long, invalid_blocks with Slack's `errors` and
response_metadata.messages)."""

from __future__ import annotations

from typing import Any

MAX_TEXT = 40_000  # chat.postMessage: msg_too_long beyond this
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_FIELD_TEXT = 2_000


def content_refusal(text: str, blocks: Any) -> str | None:
    """The error Slack answers for a message's text and blocks, or None when it takes them."""
    if len(text) > MAX_TEXT:
        return "msg_too_long"
    if blocks is not None and (
        not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS or _section_too_long(blocks)
    ):
        return "invalid_blocks"
    return None


def _section_too_long(blocks: list[dict[str, Any]]) -> bool:
    for b in blocks:
        if b.get("type") == "section":
            text = b.get("text")
            if isinstance(text, dict) and len(text.get("text", "")) > MAX_SECTION_TEXT:
                return True
            if any(len(f.get("text", "")) > MAX_FIELD_TEXT for f in b.get("fields") or []):
                return True
    return False



# Required arguments and what Slack answers when one is missing or empty (docs.slack.dev/reference/methods/<method>,
# "Errors"). The newer methods answer `invalid_arguments` naming the field in response_metadata.messages.
REQUIRED_ARGS: dict[str, tuple[tuple[str, str], ...]] = {
    "chat.postMessage": (("channel", "channel_not_found"),),
    "chat.update": (("channel", "channel_not_found"), ("ts", "message_not_found")),
    "chat.delete": (("channel", "channel_not_found"), ("ts", "message_not_found")),
    "chat.postEphemeral": (("channel", "channel_not_found"), ("user", "user_not_in_channel")),
    "reactions.add": (("channel", "no_item_specified"), ("timestamp", "no_item_specified"), ("name", "invalid_name")),
    "users.info": (("user", "user_not_found"),),
    "conversations.info": (("channel", "channel_not_found"),),
    "assistant.threads.setStatus": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments")),
    "assistant.threads.setTitle": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments"),
                                   ("title", "invalid_arguments")),
    "assistant.threads.setSuggestedPrompts": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments"),
                                              ("prompts", "invalid_arguments")),
    "chat.startStream": (("channel", "channel_not_found"), ("thread_ts", "invalid_arguments")),
    "chat.appendStream": (("channel", "channel_not_found"), ("ts", "invalid_arguments")),
    "chat.stopStream": (("channel", "channel_not_found"), ("ts", "invalid_arguments")),
    "files.getUploadURLExternal": (("filename", "invalid_arguments"), ("length", "invalid_arguments")),
}


def missing_argument(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's refusal of a call without one of its required arguments, or None."""
    for name, error in REQUIRED_ARGS.get(method, ()):
        if params.get(name) in (None, "", []):
            refusal: dict[str, Any] = {"ok": False, "error": error}
            if error == "invalid_arguments":
                refusal["response_metadata"] = {"messages": [f"[ERROR] missing required field: {name}"]}
            return refusal
    return None


def refusal(error: str, blocks: Any = None) -> dict[str, Any]:
    """Slack's answer to a refused call: HTTP 200, ok false, the error code; invalid_blocks also lists what was
    wrong, as `errors` and as response_metadata.messages ("[ERROR] ... [json-pointer:/blocks...]")."""
    body: dict[str, Any] = {"ok": False, "error": error}
    if error == "invalid_blocks":
        problems = block_problems(blocks) or ["failed to match all allowed schemas [json-pointer:/blocks/0]"]
        body["errors"] = problems
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in problems]}
    return body


def block_problems(blocks: Any, max_blocks: int = MAX_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """What Slack's block schema check says about `blocks` (a message's, or a view's with pointer
    "/view/blocks"): too many blocks, a block that is not a typed object, a section's text over 3,000 characters
    or a field over 2,000."""
    if not isinstance(blocks, list):
        return []
    found = [f"no more than {max_blocks} items allowed [json-pointer:{pointer}]"] if len(blocks) > max_blocks else []
    for i, b in enumerate(blocks):
        if not isinstance(b, dict) or "type" not in b:
            found.append(f"failed to match all allowed schemas [json-pointer:{pointer}/{i}]")
            continue
        if b["type"] != "section":
            continue
        text = b.get("text")
        if isinstance(text, dict) and len(text.get("text", "")) > MAX_SECTION_TEXT:
            found.append(f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:{pointer}/{i}/text/text]")
        for j, field in enumerate(b.get("fields") or []):
            if isinstance(field, dict) and len(field.get("text", "")) > MAX_FIELD_TEXT:
                found.append(f"must be less than {MAX_FIELD_TEXT + 1} characters "
                             f"[json-pointer:{pointer}/{i}/fields/{j}/text]")
    return found

