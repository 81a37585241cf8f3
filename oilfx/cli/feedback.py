"""`python -m oilfx feedback --since 7d`: the thumbs up/down users gave answers, with the question, the answer
and the engine, newest last, from the configured store (REDIS_URL, else OILFX_DB)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta

from oilfx.cli.common import cli_texts, read_store
from oilfx.config import Settings

_SINCE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """`30m`, `12h`, `7d`, `2w` -> a timedelta. Raises ValueError with the accepted forms."""
    m = _SINCE.match(text.strip().lower())
    if not m:
        raise ValueError(f"--since: expected a number and m/h/d/w (e.g. 7d, 12h), got {text!r}")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("feedback", help="list feedback on answers (thumbs up/down) for review")
    parser.add_argument("--since", default="7d", help="how far back: 30m, 12h, 7d, 2w (default 7d)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run(args: argparse.Namespace, settings: Settings) -> int:
    tx = cli_texts(settings)
    try:
        since = datetime.now(UTC) - parse_since(args.since)
    except ValueError:
        print(tx.t("oilfx: --since: expected a number and m/h/d/w (e.g. 7d, 12h), got {value}",
                   value=repr(args.since)), file=sys.stderr)
        return 1
    rows = read_store(settings, lambda store: list(store.list_feedback(since)))
    if rows is None:
        return 1
    for f in rows:
        if args.json:
            print(json.dumps({"at": f.at.isoformat(), "value": f.value, "user": f.user, "thread": str(f.key),
                              "message_ts": f.message_ts, "engine": f.engine, "question": f.question,
                              "answer": f.answer}, ensure_ascii=False))
            continue
        shown = {"moment": f.at, "user": f.user, "thread": str(f.key), "engine": f.engine}
        print(tx.t("+ good {moment}  {user}  {thread}  {engine}", **shown) if f.value == "good"
              else tx.t("- bad  {moment}  {user}  {thread}  {engine}", **shown))
        print(tx.t("    Q: {question}", question=_clip(f.question)))
        print(tx.t("    A: {answer}", answer=_clip(f.answer)))
    if not args.json:
        good = sum(f.value == "good" for f in rows)
        print(tx.t("{count} feedback since {moment}: {good} good, {bad} bad", count=len(rows), moment=since,
                   good=good, bad=len(rows) - good))
    return 0
