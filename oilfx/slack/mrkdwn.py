"""Model text (Markdown, untrusted) as Slack mrkdwn that can ping no one and hide no link: Slack control
sequences rendered inert, `&<>` escaped, Markdown's bold/italic/links/headings converted; and splitting text at
Slack's size limits. Pure functions."""

from __future__ import annotations

import re

ZWSP = "\u200b"           # breaks "@channel" so no client parses it as a mention

# --- mrkdwn ---------------------------------------------------------------------------------------------------

_SLACK_SEQUENCE = re.compile(r"<((?:[!@#]|[A-Za-z][A-Za-z0-9+.-]*:)[^<>\n]{0,500})>")
_FENCE = re.compile(r"(```.*?```)", re.S)
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)")
_BARE_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_BOLD_MARK = "\x01"


def _inert(match: re.Match[str]) -> str:
    """A Slack control sequence written by the model, as harmless visible text."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("!subteam^"):
        return "@" + ZWSP + (label.lstrip("@") or "group")
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        return "@" + ZWSP + (label.lstrip("@") or name)
    if target.startswith(("@", "#")):
        return target[0] + ZWSP + (label.lstrip("@#") or target[1:])
    if label:
        return f"{label} ({target})"
    return target


def escape(text: str) -> str:
    """Slack's three control characters (https://docs.slack.dev/messaging/formatting-message-text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise(text: str) -> str:
    """Untrusted text as plain mrkdwn: control sequences made inert, `&<>` escaped."""
    return escape(_SLACK_SEQUENCE.sub(_inert, text))


def safe_name(text: str) -> str:
    """Untrusted text shown as is (an answer, a model-chosen tool name): neutralised, and bare
    @channel/@here/@everyone broken so no client reads them as mentions."""
    return _BARE_MENTION.sub("@" + ZWSP, neutralise(text))


def _link_text(label: str, url: str) -> str:
    """A Markdown link as `label (url)`: a label never hides where a link goes."""
    return url if label.strip() == url else f"{label} ({url})"


def unlink(text: str) -> str:
    """Every Markdown link `[label](url)` in `text` as `label (url)`."""
    return _MD_LINK.sub(lambda m: _link_text(m.group(1), m.group(2)), text)


def _convert_prose(text: str) -> str:
    links: list[str] = []

    def keep_link(m: re.Match[str]) -> str:
        # label and URL are already escaped; kept out of the emphasis rules below, shown as `label (url)`
        links.append(_link_text(m.group(1), m.group(2)))
        return f"\x02{len(links) - 1}\x02"

    text = _MD_LINK.sub(keep_link, text)
    text = _HEADING.sub(lambda m: f"{_BOLD_MARK}{m.group(1).strip('*_ ')}{_BOLD_MARK}", text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = text.replace(_BOLD_MARK, "*")
    return re.sub(r"\x02(\d+)\x02", lambda m: links[int(m.group(1))], text)


def to_mrkdwn(markdown: str) -> str:
    """Model Markdown -> Slack mrkdwn: **bold**, headings, bullets, [links](url), ~~strike~~; code left as is."""
    safe = neutralise(markdown.replace(_BOLD_MARK, "").replace("\x02", ""))
    out: list[str] = []
    for block in _FENCE.split(safe):
        if block.startswith("```") and block.endswith("```") and len(block) >= 6:
            out.append(block)
            continue
        out.extend(part if _INLINE_CODE.fullmatch(part) else _convert_prose(part)
                   for part in _INLINE_CODE.split(block))
    return "".join(out).strip()


# --- splitting ------------------------------------------------------------------------------------------------

def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word boundary where one is near."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
