"""`python -m oilfx store stats` and `python -m oilfx store migrate --to redis://...`.

migrate copies the SQLite store (OILFX_DB, or --from) into Redis: thread -> conversation mappings, meta, chat
histories, feedback, the events finished in the last day (so a Slack retry right after the switch is not
answered twice), alerts with their numbers, digests and the firings already posted (so nothing is posted twice).
It overwrites the same keys with the same values, so running it twice is harmless.
Stop the bot first, so nothing is written to SQLite while it is copied: migrate refuses while a bot has the file
(and a bot refuses to start while migrate runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from oilfx.cli.common import cli_texts, read_store
from oilfx.config import Settings
from oilfx.i18n import Texts, lazy_n
from oilfx.store import StoreError, safe_redis_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("store", help="inspect the store or migrate SQLite -> Redis")
    actions = parser.add_subparsers(dest="store_command", required=True)
    stats = actions.add_parser("stats", help="counts of what the configured store holds (REDIS_URL, else OILFX_DB)")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=run_stats)
    migrate = actions.add_parser("migrate", help="copy the SQLite store into Redis (idempotent)")
    migrate.add_argument("--to", required=True, metavar="REDIS_URL", help="target, e.g. redis://127.0.0.1:6379/0")
    migrate.add_argument("--from", dest="source", metavar="PATH", help="SQLite file (default: OILFX_DB)")
    migrate.set_defaults(func=run_migrate)


# What each count counts, as a phrase with its number (stats and migrate name the same things the same way).
COUNTED = {
    "conversations": lambda count: lazy_n("{count} conversation", "{count} conversations", count),
    "meta": lambda count: lazy_n("{count} meta record", "{count} meta records", count),
    "histories": lambda count: lazy_n("{count} chat history", "{count} chat histories", count),
    "feedback": lambda count: lazy_n("{count} feedback", "{count} feedback", count),
    "events_finished": lambda count: lazy_n("{count} event finished", "{count} events finished", count),
    "events_in_progress": lambda count: lazy_n("{count} event in progress", "{count} events in progress", count),
    "messages_claimed": lambda count: lazy_n("{count} message claimed", "{count} messages claimed", count),
    "alerts": lambda count: lazy_n("{count} alert", "{count} alerts", count),
    "digests": lambda count: lazy_n("{count} digest", "{count} digests", count),
    "firings_done": lambda count: lazy_n("{count} firing done", "{count} firings done", count),
}


def counted(name: str, count: int, tx: Texts) -> str:
    """`26 conversations` / `대화 26개`; a count the store adds later is shown by its key."""
    phrase = COUNTED.get(name)
    return tx.render(phrase(count)) if phrase else f"{count} {name.replace('_', ' ')}"


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    counts = read_store(settings, lambda store: store.stats())
    if counts is None:
        return 1
    where = f"redis {safe_redis_url(settings.redis_url)}" if settings.redis_url else f"sqlite {settings.db_path}"
    if args.json:
        print(json.dumps({"store": where, **counts}))
    else:
        tx = cli_texts(settings)
        print(tx.t("store: {where}", where=where))
        for name, count in counts.items():
            print("  " + counted(name, count, tx))
    return 0


def migrate(source, target) -> dict[str, int]:
    """Copy everything `store migrate` moves from `source` (SqliteStore) into `target` (RedisStore); counts."""
    counts = {"conversations": 0, "meta": 0, "histories": 0, "feedback": 0, "events_finished": 0,
              "messages_claimed": 0, "alerts": 0, "digests": 0, "firings_done": 0}
    for key, engine, ref in source.export_conversations():
        target.set_conversation(key, engine, ref)
        counts["conversations"] += 1
    ttls = source.meta_ttls()  # per-turn records keep their expiry
    for name, value in source.export_meta():
        target.set_meta(name, value, ttl=ttls.get(name))
        counts["meta"] += 1
    for conversation, messages in source.export_histories():
        target.save_history(conversation, messages)
        counts["histories"] += 1
    for feedback in source.list_feedback(datetime.fromtimestamp(0, UTC)):
        target.add_feedback(feedback)
        counts["feedback"] += 1
    for event_id, _finished_at in source.export_finished_events():
        target.finish_event(event_id)
        counts["events_finished"] += 1
    for key, event_id, keep_seconds in source.export_messages():  # an edit after the switch stays unanswered
        target.claim_message(key, event_id, keep_seconds)
        counts["messages_claimed"] += 1
    for alert in source.export_alerts():  # same ids: users delete them by number
        target.import_alert(alert)
        counts["alerts"] += 1
    for digest in source.list_digests():
        target.set_digest(digest)
        counts["digests"] += 1
    for key in source.export_done_firings():  # what was posted stays posted (no second digest this morning)
        target.finish_firing(key, "migrate")
        counts["firings_done"] += 1
    return counts


def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from oilfx.store.redis import RedisStore
    from oilfx.store.sqlite import SqliteStore
    from oilfx.store.sqlite_file import StoreBusy

    tx = cli_texts(settings)
    path = args.source or settings.db_path
    if not Path(path).is_file():
        print(tx.t("oilfx: no SQLite store at {path} (set OILFX_DB or pass --from)", path=path), file=sys.stderr)
        return 1
    try:
        source = SqliteStore(path, exclusive=True)  # a bot writing meanwhile would lose what it writes
    except StoreBusy as e:
        print(tx.t("oilfx: stop the bot before migrating: {error}", error=e), file=sys.stderr)
        return 1
    except StoreError as e:
        print(tx.t("oilfx: store unavailable: {error}", error=e), file=sys.stderr)
        return 1
    try:
        target = RedisStore(args.to)
    except StoreError as e:
        source.close()
        print(tx.t("oilfx: store unavailable: {error}", error=str(e).replace("REDIS_URL=", "--to ")),
              file=sys.stderr)
        return 1
    try:
        counts = migrate(source, target)
    except StoreError as e:
        print(tx.t("oilfx: migration stopped, run it again when fixed: {error}", error=e), file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    summary = ", ".join(counted(name, count, tx) for name, count in counts.items())
    print(tx.t("copied {path} -> {target}: {summary}", path=path, target=safe_redis_url(args.to), summary=summary))
    return 0
