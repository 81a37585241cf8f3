"""How alerts and digests read in Slack: one line per alert (id, rule, creator, state), a digest's line, the
confirmations and the usage lines of `/oilprice alert|alerts|digest`. Shared by the commands and the App Home.

Everything shown comes from our own formatting of stored values (a rule's benchmark is canonical, its threshold
a Decimal), but it is escaped anyway: a stored value never becomes markup."""

from __future__ import annotations

from typing import Any

from oilfx.market.rule_parse import describe_rule, format_value
from oilfx.slack.mrkdwn import escape
from oilfx.slack.render import BLOCK_LIMIT, SECTION_LIMIT, SlackMessage, _section
from oilfx.store.alerts import Alert, Digest
from oilfx.tools.context import AlertSet

ALERT_USAGE = ("Usage: `/oilprice alert Brent > 80` · `/oilprice alert WTI krw > 100000` · "
               "`/oilprice alert Dubai krw/l < 600` (also `wti above 80`, `브렌트 80 이상`) · "
               "`/oilprice alerts` · `/oilprice alert delete 3`")
DELETE_USAGE = "Usage: `/oilprice alert delete <id>`, e.g. `/oilprice alert delete 3` (`/oilprice alerts` lists ids)"
DIGEST_USAGE = "Usage: `/oilprice digest 09:00` (weekdays, KST) or `/oilprice digest off`"


def state_of(alert: Alert) -> str:
    if alert.disabled:
        return f"disabled ({alert.disabled})"
    return "armed" if alert.armed else "fired (re-arms once the price goes back across)"


def alert_line(alert: Alert, with_creator: bool = True) -> str:
    who = f" · set by <@{escape(alert.creator)}>" if with_creator and alert.creator else ""
    return f"*#{alert.id}* {escape(describe_rule(alert.rule))}{who} · {escape(state_of(alert))}"


def digest_line(digest: Digest) -> str:
    state = f" · disabled ({escape(digest.disabled)})" if digest.disabled else ""
    return f"Weekday digest at *{digest.at.strftime('%H:%M')} KST*{state}"


def message(text: str) -> SlackMessage:
    return SlackMessage(text, [_section(text)])


def refused(reason: str, usage: str) -> SlackMessage:
    """An ephemeral refusal: what was wrong, then how to write it."""
    return message(f":warning: {escape(reason)}\n{usage}")


def alert_set(user: str, added: AlertSet) -> SlackMessage:
    """The confirmation: the rule exactly as stored, its id, and where the price stands now."""
    sources = "; ".join(f"{s.label}: {s.source}, {s.as_of}" for s in added.sources)
    now = format_value(added.rule.unit, added.current)
    when = ("It already holds, so it fires at the next check." if added.rule.holds(added.current)
            else "oilfx posts here when it crosses.")
    return message(f"<@{escape(user)}> set alert *#{added.id}*: {escape(describe_rule(added.rule))}. "
                   f"Now {escape(now)} ({escape(sources)}). {when}")


def sections(lines: list[str], limit: int = SECTION_LIMIT) -> list[dict[str, Any]]:
    """Lines packed into as few mrkdwn sections as Slack's 3,000-character limit allows."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + 1 + len(line) > limit:
            blocks.append(_section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:limit]
    if chunk:
        blocks.append(_section(chunk))
    return blocks


def alert_list(alerts: list[Alert], digest: Digest | None) -> SlackMessage:
    lines = ["*Alerts in this channel*"]
    lines += [alert_line(a) for a in alerts] or ["No alerts here yet. Set one: `/oilprice alert Brent > 80`"]
    if digest is not None:
        lines.append(digest_line(digest))
    return SlackMessage("\n".join(lines), sections(lines)[:BLOCK_LIMIT])
