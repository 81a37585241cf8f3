"""`python bot.py` as it ran Socket Mode before issue 21: slack_sdk's built-in stale-connection check at a 1 s
ping interval, which under a cold burst's full CPU calls the healthy connection stale and reconnects. The bench
runs it beside today's bot.py to show the difference (bench/burst.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import bot  # noqa: E402


def socket_handler(app, settings):  # type: ignore[no-untyped-def]
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from oilfx.slack.app import prestarted

    handler = SocketModeHandler(app, settings.slack_app_token, concurrency=bot.SOCKET_CONCURRENCY, ping_interval=1.0)
    prestarted(handler.client.message_workers, bot.SOCKET_CONCURRENCY)
    return handler


if __name__ == "__main__":
    bot.socket_handler = socket_handler
    sys.exit(bot.main())
