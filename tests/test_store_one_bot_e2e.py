"""One bot process per SQLite file, and a database deleted under a running bot, with real `python bot.py` processes
(issue 21, finding 6): a second bot on the file exits 2 naming it and suggesting REDIS_URL; the CLI's readers work
beside a running bot while `store migrate` refuses; a bot killed -9 leaves no stale lock; a deleted database is
reported in the log and where the answer would go."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from oilfx.market import format_krw
from tests.fakes.bot_process import REPO, BotProcess, start_connected, user_turns
from tests.fakes.redis_server import free_port
from tests.fakes.slack_server import FakeSlack, Message

ANSWER_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("one-bot") / "oilfx.db")


@pytest.fixture(scope="module")
def env(servers, db) -> dict[str, str]:
    slack, openai_fake, pages = servers
    return {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_DB": db}


@pytest.fixture(scope="module")
def bot(servers, env) -> Iterator[BotProcess]:
    process = start_connected(env, servers[0])
    yield process
    process.stop()


def ask(slack: FakeSlack, question: str, channel: str, contains: str, connection: int | None = None) -> Message:
    payload = slack.app_mention(question, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload, connection))
    return slack.wait_for_message(channel=channel, thread_ts=payload["event"]["ts"], contains=contains,
                                  timeout=ANSWER_TIMEOUT)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OILFX_", "REDIS_", "SLACK_", "OPENAI_"))}
    return subprocess.run([sys.executable, "-m", "oilfx", *args], cwd=Path(env["OILFX_DB"]).parent,
                          capture_output=True, text=True, timeout=60,
                          env={**base, "PYTHONPATH": str(REPO), "OILFX_LANG": "en", **env})   # English messages


def test_a_second_bot_on_the_same_file_exits_2_naming_it_and_redis_url(bot, servers, env, db, quote):
    slack = servers[0]
    second = BotProcess(env).run(timeout=20)
    assert second.returncode == 2, second.stderr[-2000:]
    assert "Traceback" not in second.stderr
    assert f"OILFX_DB={db}" in second.stderr and "REDIS_URL" in second.stderr
    assert f"pid {bot.proc.pid}" in second.stderr  # type: ignore[union-attr]
    assert bot.alive and len(slack.connections()) == 1
    ask(slack, "WTI in won? (beside a refused second bot)", "C0ONE", format_krw(quote.krw_per_barrel("WTI")))


def test_cli_readers_work_beside_a_running_bot_and_migrate_refuses(bot, servers, env, db, quote):
    _, openai_fake, pages = servers
    stats = cli("store", "stats", "--json", env={"OILFX_DB": db})
    assert stats.returncode == 0, stats.stderr
    assert f'"store": "sqlite {db}"' in stats.stdout
    feedback = cli("feedback", "--since", "1d", env={"OILFX_DB": db})
    assert feedback.returncode == 0, feedback.stderr
    # ask keeps its own conversations (and the assistant id) in the store; it never touches a Slack thread
    asked = cli("ask", "WTI in won?", env={"OILFX_DB": db, **openai_fake.env(), **pages.env(),
                                           "OILFX_OPENAI_MAX_RETRIES": "0"})
    assert asked.returncode == 0, asked.stderr
    assert format_krw(quote.krw_per_barrel("WTI")) in asked.stdout
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # refused before Redis is tried
    migrate = cli("store", "migrate", "--to", nowhere, env={"OILFX_DB": db})
    assert migrate.returncode == 1
    assert "stop the bot before migrating" in migrate.stderr and f"OILFX_DB={db}" in migrate.stderr
    assert "Traceback" not in stats.stderr + feedback.stderr + asked.stderr + migrate.stderr
    assert bot.alive


def test_after_kill_9_a_new_bot_starts_on_the_same_file(bot, servers, quote):
    slack = servers[0]
    old = slack.connections()
    bot.kill()
    slack.wait_for(lambda: not set(old) & set(slack.connections()), 10, what="the killed bot's connection closed")
    bot.start()
    slack.wait_new_connection(max(old), timeout=30)
    ask(slack, "Brent in won? (after kill -9)", "C0RESTART", format_krw(quote.krw_per_barrel("Brent")))
    assert bot.alive and "another oilfx process" not in bot.log()


def test_a_database_deleted_under_a_running_bot_is_logged_and_told_where_the_answer_would_go(
        servers, tmp_path: Path, quote):
    slack, openai_fake, pages = servers
    folder = tmp_path / "state"
    db = str(folder / "oilfx.db")
    others = set(slack.connections())  # the module's bot, when it runs: the events here go to this bot only
    process = start_connected({**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0",
                               "OILFX_DB": db}, slack, connections=len(others) + 1)
    [mine] = set(slack.connections()) - others
    try:
        ask(slack, "WTI in won? (before the delete)", "C0GONE", format_krw(quote.krw_per_barrel("WTI")), mine)
        # Deleted mid-turn: the turn cannot keep its conversation, and says why instead of "something went wrong".
        question = "Dubai in won? (deleted mid-turn)"
        openai_fake.latency = 1.0  # three model rounds: ~3 s
        try:
            payload = slack.app_mention(question, channel="C0GONE")
            slack.wait_ack(slack.deliver("events_api", payload, mine))
            slack.wait_for(lambda: user_turns(openai_fake, question), ANSWER_TIMEOUT, what="the turn under way")
            # The directory goes at once (rmtree unlinks the file first, and a check in between saw only the
            # file gone): moved out of the way, then deleted.
            moved = folder.with_name("state-deleted")
            folder.rename(moved)
            shutil.rmtree(moved)
            cut = slack.wait_for_message(channel="C0GONE", thread_ts=payload["event"]["ts"], final=True,
                                         contains="store is unavailable", timeout=ANSWER_TIMEOUT)
        finally:
            openai_fake.latency = 0.0
        print(f"\nmid-turn the reply says: {cut.all_text!r}")
        assert "database file was deleted" in cut.all_text and "Something went wrong" not in cut.all_text
        assert slack.posted("C0GONE", payload["event"]["ts"]) == [cut]  # in the turn's reply: none left open
        # The next message is refused at once, before the model is asked.
        asked_before = len(openai_fake.requests)
        told = ask(slack, "Brent in won? (after the delete)", "C0GONE", "store is unavailable", mine)
        print(f"\nafter the delete the thread says: {told.text!r}")
        assert "database file was deleted" in told.all_text and "restart" in told.all_text
        assert len(slack.posted("C0GONE", told.thread)) == 1
        assert len(openai_fake.requests) == asked_before  # not answered into a store that loses everything
        errors = [line for line in process.log().splitlines() if " ERROR " in line and f"OILFX_DB={db}" in line]
        assert len(errors) == 1 and "was deleted with its directory" in errors[0]
        assert process.alive
    finally:
        process.stop()
