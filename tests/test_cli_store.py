"""`python -m oilfx store migrate|stats`, run as the operator runs them (a subprocess), against a real redis-server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from oilfx.i18n import KO, Lang, texts
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.store.alerts import Digest
from oilfx.store.base import Feedback, MessageKey, ThreadKey
from oilfx.store.redis import RedisStore
from oilfx.store.sqlite import SqliteStore
from tests.fakes.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def oilfx(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """English unless `env` asks for Korean (OILFX_LANG=ko): the product's default is ko."""
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "OILFX_DB")}
    return subprocess.run([sys.executable, "-m", "oilfx", *args], cwd=env.pop("cwd"), capture_output=True,
                          text=True, timeout=60, env={**clean, "PYTHONPATH": str(ROOT), "OILFX_LANG": "en", **env})


@pytest.fixture
def sqlite_store(tmp_path):
    store = SqliteStore(tmp_path / "oilfx.db")
    keys = [ThreadKey("T1", f"C{i % 3}", f"1700000000.{i:06d}") for i in range(25)]
    for i, key in enumerate(keys):
        store.set_conversation(key, "responses", f"conv_{i}")
    store.set_conversation(ThreadKey("T1", "D1", "dm"), "chat", "chat-dm")
    store.set_meta("assistant_id", "asst_1")
    store.set_meta("steps:k1", "{}", ttl=30 * 86400)
    store.save_history("chat-dm", [{"role": "user", "content": "브렌트유 가격?"}])
    store.add_feedback(Feedback(keys[0], "1700000000.000009", "U1", "good", "WTI?", "₩98,492", "responses",
                                datetime.now(UTC) - timedelta(hours=1)))
    assert store.claim_event("Ev1")
    store.finish_event("Ev1")
    assert store.claim_message(MessageKey("T1", "C0", "1700000000.000001"), "Ev1")
    now = datetime.now(UTC)
    rule = Rule("Brent", Unit.USD, Direction.ABOVE, Decimal("80.5"))
    for channel in ("C0", "C1"):
        store.add_alert("T1", channel, "U1", rule, 10, now)
    store.set_digest(Digest("T1", "C0", "U1", time(9, 0), now))
    done = Digest("T1", "C0", "U1", time(9, 0), now).firing_key(now.date())
    assert store.claim_firing(done, "bot-1", 60)
    store.finish_firing(done, "bot-1")
    yield store
    store.close()


def test_migrate_copies_everything_and_is_idempotent(sqlite_store, redis_url, tmp_path):
    env = {"OILFX_DB": sqlite_store.path, "cwd": str(tmp_path)}
    first = oilfx("store", "migrate", "--to", redis_url, env=dict(env))
    assert first.returncode == 0, first.stderr
    assert ("26 conversations, 2 meta records, 1 chat history, 1 feedback, 1 event finished, 1 message claimed, "
            "2 alerts, 1 digest, 1 firing done") in first.stdout
    second = oilfx("store", "migrate", "--to", redis_url, env=dict(env))
    assert second.returncode == 0 and second.stdout == first.stdout
    korean = oilfx("--lang", "ko", "store", "migrate", "--to", redis_url, env=dict(env))   # a third copy, same keys
    assert korean.returncode == 0, korean.stderr
    assert korean.stdout.startswith(f"{sqlite_store.path} -> ")
    assert "복사 완료: 대화 26개, 메타 기록 2개" in korean.stdout
    assert KO.n("{count} firing done", "{count} firings done", 1) in korean.stdout

    redis_store = RedisStore(redis_url)
    assert sorted(redis_store.export_conversations(), key=str) == sorted(sqlite_store.export_conversations(),
                                                                         key=str)
    assert redis_store.get_meta("assistant_id") == "asst_1" and redis_store.get_meta("steps:k1") == "{}"
    assert redis_store.client.ttl("oilfx:meta:assistant_id") == -2  # kept for good, in the hash
    assert 29 * 86400 < redis_store.client.ttl("oilfx:meta:steps:k1") <= 30 * 86400  # still expires
    assert redis_store.load_history("chat-dm") == sqlite_store.load_history("chat-dm")
    since = datetime.now(UTC) - timedelta(days=1)
    assert list(redis_store.list_feedback(since)) == list(sqlite_store.list_feedback(since))
    assert not redis_store.claim_event("Ev1")  # a Slack retry right after the switch is still a duplicate
    assert not redis_store.claim_message(MessageKey("T1", "C0", "1700000000.000001"), "Ev2")  # and an edit
    assert 29 * 86400 < redis_store.client.ttl("oilfx:message:T1:C0:1700000000.000001") <= 30 * 86400
    assert redis_store.list_alerts("T1") == sqlite_store.list_alerts("T1")          # same numbers for users
    assert redis_store.list_digests() == sqlite_store.list_digests()
    [posted] = sqlite_store.export_done_firings()
    assert redis_store.firing_done(posted)                    # this morning's digest is not posted again

    stats = oilfx("store", "stats", "--json", env={"REDIS_URL": redis_url, "cwd": str(tmp_path)})
    assert stats.returncode == 0, stats.stderr
    counts = json.loads(stats.stdout)
    assert counts["store"].startswith("redis redis://127.0.0.1:")
    assert (counts["conversations"], counts["feedback"], counts["events_finished"]) == (26, 1, 1)


@pytest.mark.parametrize("lang", list(Lang))
def test_stats_on_sqlite(sqlite_store, tmp_path, lang: Lang):
    result = oilfx("store", "stats", "--lang", lang.value, env={"OILFX_DB": sqlite_store.path, "cwd": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    tx = texts(lang)
    assert tx.t("store: {where}", where=f"sqlite {sqlite_store.path}") in result.stdout
    assert tx.n("{count} conversation", "{count} conversations", 26) in result.stdout.splitlines()[1:][0]
    assert tx.n("{count} feedback", "{count} feedback", 1) in result.stdout
    if lang is Lang.KO:
        assert "저장소: sqlite" in result.stdout and "대화 26개" in result.stdout


def test_migrate_errors_are_one_line_without_secrets(sqlite_store, tmp_path):
    port = free_port()
    result = oilfx("store", "migrate", "--to", f"redis://u:hunter2hunter2@127.0.0.1:{port}/0",
                   env={"OILFX_DB": sqlite_store.path, "cwd": str(tmp_path)})
    assert result.returncode == 1
    assert f"cannot reach Redis at --to redis://127.0.0.1:{port}/0" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
    missing = oilfx("store", "migrate", "--to", "redis://127.0.0.1:1/0",
                    env={"OILFX_DB": str(tmp_path / "nope.db"), "cwd": str(tmp_path)})
    assert missing.returncode == 1 and "no SQLite store at" in missing.stderr
    korean = oilfx("store", "migrate", "--to", "redis://127.0.0.1:1/0",
                   env={"OILFX_DB": str(tmp_path / "nope.db"), "cwd": str(tmp_path), "OILFX_LANG": "ko"})
    assert korean.returncode == 1
    assert korean.stderr.strip() == KO.t("oilfx: no SQLite store at {path} (set OILFX_DB or pass --from)",
                                         path=tmp_path / "nope.db")
    assert "SQLite 저장소가 없어요" in korean.stderr
