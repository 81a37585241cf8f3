"""How alerts and digests read in Slack: one line per alert (id, rule, creator, state), a digest's line, the
confirmations and the usage lines of `/oilprice alert|alerts|digest`. Shared by the commands and the App Home,
each rendering in the language its reader reads (`tx`).

Everything shown comes from our own formatting of stored values (a rule's benchmark is canonical, its threshold
a Decimal), but it is escaped anyway: a stored value never becomes markup."""

from __future__ import annotations

from datetime import time
from typing import Any

from oilfx.i18n import Msg, Texts, lazy
from oilfx.market.rule_parse import describe_rule, format_value
from oilfx.slack.mrkdwn import escape
from oilfx.slack.render import BLOCK_LIMIT, SECTION_LIMIT, SlackMessage, _section
from oilfx.store.alerts import Alert, Digest
from oilfx.tools.context import AlertSet

ALERT_USAGE = lazy("Usage: `/oilprice alert Brent > 80` · `/oilprice alert WTI krw > 100000` · "
                   "`/oilprice alert Dubai krw/l < 600` (also `wti above 80`, `브렌트 80 이상`) · "
                   "`/oilprice alerts` · `/oilprice alert delete 3`")
DELETE_USAGE = lazy("Usage: `/oilprice alert delete <id>`, e.g. `/oilprice alert delete 3` (`/oilprice alerts` "
                    "lists ids)")
DIGEST_USAGE = lazy("Usage: `/oilprice digest 09:00` (weekdays, KST) or `/oilprice digest off`")


def clock(at: time) -> str:
    """A digest's KST wall-clock time as typed and stored (`09:30`): the same figures in both languages."""
    return at.strftime("%H:%M")


def state_of(alert: Alert, tx: Texts) -> str:
    if alert.disabled:
        return tx.t("disabled ({reason})", reason=alert.disabled)
    return tx.t("armed") if alert.armed else tx.t("fired (re-arms once the price goes back across)")


def alert_line(alert: Alert, tx: Texts, with_creator: bool = True) -> str:
    rule, state = escape(tx.render(describe_rule(alert.rule))), escape(state_of(alert, tx))
    if with_creator and alert.creator:
        return tx.t("*#{id}* {rule} · set by <@{user}> · {state}", id=alert.id, rule=rule,
                    user=escape(alert.creator), state=state)
    return f"*#{alert.id}* {rule} · {state}"   # no words of ours to translate: the parts already are


def digest_line(digest: Digest, tx: Texts) -> str:
    if digest.disabled:
        return tx.t("Weekday digest at *{time} KST* · disabled ({reason})", time=clock(digest.at),
                    reason=escape(digest.disabled))
    return tx.t("Weekday digest at *{time} KST*", time=clock(digest.at))


def message(text: str) -> SlackMessage:
    return SlackMessage(text, [_section(text)])


def refused(reason: str, usage: Msg, tx: Texts) -> SlackMessage:
    """An ephemeral refusal: what was wrong (already in the reader's language), then how to write it."""
    return message(f":warning: {escape(reason)}\n{tx.render(usage)}")


def alert_set(user: str, added: AlertSet, tx: Texts) -> SlackMessage:
    """The confirmation: the rule exactly as stored, its id, and where the price stands now."""
    # a source's label and as-of time may be ours to translate (Text): render renders a Msg, a date, or a str
    sources = "; ".join(f"{tx.render(s.label)}: {s.source}, {tx.render(s.as_of)}" for s in added.sources)
    args = {"user": escape(user), "id": added.id, "rule": escape(tx.render(describe_rule(added.rule))),
            "now": escape(format_value(added.rule.unit, added.current)), "sources": escape(sources)}
    if added.rule.holds(added.current):
        return message(tx.t("<@{user}> set alert *#{id}*: {rule}. Now {now} ({sources}). It already holds, so it "
                            "fires at the next check.", **args))
    return message(tx.t("<@{user}> set alert *#{id}*: {rule}. Now {now} ({sources}). oilfx posts here when it "
                        "crosses.", **args))


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


def alert_list(alerts: list[Alert], digest: Digest | None, tx: Texts) -> SlackMessage:
    lines = [tx.t("*Alerts in this channel*")]
    lines += [alert_line(a, tx) for a in alerts] or [tx.t("No alerts here yet. Set one: `/oilprice alert Brent > 80`")]
    if digest is not None:
        lines.append(digest_line(digest, tx))
    return SlackMessage("\n".join(lines), sections(lines)[:BLOCK_LIMIT])
