"""Uninstall clean-up through the real app (build_app in OAuth mode, Bolt's dispatch) on both stores: SQLite
(installations in the file beside OILFX_DB) and a real redis-server (oauth_redis.py). After Slack's
`tokens_revoked` and `app_uninstalled` for one team, its installation and every store entry of it are gone and
the other team's, at the same channel and ts, are untouched. Also the Redis install stores on their own."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from slack_bolt import BoltRequest
from slack_sdk.oauth.installation_store import Installation

from oilfx.config import load_settings
from oilfx.services import build_services
from oilfx.slack.app import build_app
from oilfx.slack.oauth_redis import PREFIX, RedisInstallationStore, RedisOAuthStateStore
from oilfx.store.base import ThreadKey
from oilfx.store.redis_client import connect
from tests.fakes.slack_server import FakeSlack
from tests.store_contract import wait_until
from tests.test_store_purge import CHANNEL, NOW, TEAMS, TS, fill


def installation(team: str, token: str, user: str = "U1", at: float | None = None) -> Installation:
    return Installation(app_id="A0FAKE001", team_id=team, team_name=team, bot_token=token, bot_id=f"B{team}",
                        bot_user_id=f"UBOT{team}", bot_scopes="chat:write", user_id=user, installed_at=at)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_app_uninstalled_forgets_one_team_in_either_store(backend, request, openai_fake, tmp_path):
    slack = FakeSlack().start()
    env = {**slack.oauth_env(), **openai_fake.env(), "OILFX_DB": str(tmp_path / "oilfx.db")}
    if backend == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    settings = load_settings(env)
    services = build_services(settings)
    executor = ThreadPoolExecutor(max_workers=4)
    try:
        app = build_app(settings, services, executor=executor)
        installs = app.installation_store
        assert (type(installs) is RedisInstallationStore) is (backend == "redis")
        # The open replies fill() leaves are an old turn's: let the start-up orphan scan finish first.
        wait_until(lambda: not any(t.name == "oilfx-orphans" for t in threading.enumerate()), timeout=10.0)
        for team in TEAMS:
            slack.add_team(team)
            installs.save(installation(team, f"xoxb-{team}"))
            fill(services.store, team)
        gone, kept = TEAMS

        for payload in slack.uninstall(gone):
            assert app.dispatch(BoltRequest(body=payload, mode="socket_mode")).status == 200
        store = services.store
        wait_until(lambda: store.get_conversation(ThreadKey(gone, CHANNEL, TS), "chat") is None
                   and installs.find_bot(enterprise_id=None, team_id=gone) is None, timeout=10.0)

        assert installs.find_installation(enterprise_id=None, team_id=gone) is None
        assert installs.find_installation(enterprise_id=None, team_id=gone, user_id="U1") is None
        assert installs.find_bot(enterprise_id=None, team_id=kept).bot_token == f"xoxb-{kept}"
        assert installs.find_installation(enterprise_id=None, team_id=kept, user_id="U1") is not None
        assert {k.team for k, _, _ in store.export_conversations()} == {kept}
        assert {f.key.team for f in store.list_feedback(NOW - timedelta(days=1))} == {kept}
        assert [r.event_id for r in store.open_replies()] == [f"Ev{kept}"]
        meta = dict(store.export_meta())
        assert not any(gone in value for value in meta.values()) and any(kept in value for value in meta.values())
        if backend == "redis":
            keys = set(connect(settings.redis_url).scan_iter(match="*", count=1000))
            assert not {k for k in keys if gone in k} and {k for k in keys if kept in k}
    finally:
        executor.shutdown(wait=True)
        services.close()
        slack.stop()


def test_redis_installations_keep_the_latest_per_team_and_delete_one_team(redis_url):
    store = RedisInstallationStore(connect(redis_url), "1111.2222")
    store.save(installation("T1", "xoxb-old", at=1.0))
    store.save(installation("T1", "xoxb-new", user="U2", at=2.0))   # a reinstall by another user
    store.save(installation("T2", "xoxb-two"))
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-new"
    assert store.find_installation(enterprise_id=None, team_id="T1").user_id == "U2"
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U1").bot_token == "xoxb-old"
    assert store.find_bot(enterprise_id=None, team_id="T9") is None

    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2") is not None
    store.delete_all(enterprise_id=None, team_id="T1")
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2") is None
    assert store.find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-two"
    # Another app (client id) on the same Redis never sees these.
    assert RedisInstallationStore(connect(redis_url), "9999.0000").find_bot(enterprise_id=None, team_id="T2") is None


def test_redis_state_is_consumed_once_across_processes(redis_url):
    first, second = (RedisOAuthStateStore(connect(redis_url), 600) for _ in range(2))  # two bot processes
    state = first.issue()
    assert 0 < connect(redis_url).ttl(PREFIX + "state:" + state) <= 600
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def redeem() -> None:
        barrier.wait()
        results.append(second.consume(state))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert not first.consume("never-issued") and not first.consume("")
