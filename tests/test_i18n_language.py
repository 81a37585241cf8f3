"""Which language a user reads (oilfx/slack/language.py), against the fake Slack's users.info: the question's
language wins, then the user's `/oilprice lang` choice, then their Slack locale (cached for the TTL), then the
workspace's OILFX_LANG; and the Korean forms of dates and times."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from slack_sdk import WebClient

from oilfx.i18n import EN, KO, Lang, format_clock, format_day, format_moment, question_lang
from oilfx.slack.language import FAILED_LOOKUP_TTL, Languages
from oilfx.store.sqlite import SqliteStore


@pytest.fixture()
def store(tmp_path):
    s = SqliteStore(str(tmp_path / "oilfx.db"))
    yield s
    s.close()


@pytest.fixture()
def fake_slack(slack):
    slack.reset()
    yield slack
    slack.reset()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("text", "lang"), [
    ("WTI 원화로 얼마야?", Lang.KO), ("두바이유", Lang.KO), ("what is WTI in won per litre", Lang.EN),
    ("WTI?", None), ("<@U0BOT> WTI USD KRW 80", None), ("steps", None), ("", None),
    (":thumbsup: :pray:", None), (":white_check_mark: thank you", Lang.EN)])
def test_question_language(text: str, lang: Lang | None) -> None:
    assert question_lang(text) is lang


def test_korean_dates_and_times_follow_korean_finance_pages() -> None:
    moment = datetime(2026, 11, 24, 7, 33, tzinfo=UTC)   # 16:33 in Seoul
    assert format_day(date(2026, 11, 24), Lang.KO) == "2026년 11월 24일"
    assert format_clock(moment, Lang.KO) == "오후 4:33 KST"
    assert format_moment(moment, Lang.KO) == "2026년 11월 24일 오후 4:33 KST"
    assert format_moment(moment, Lang.EN) == "2026-11-24 16:33 KST"
    assert KO.render(datetime(2026, 1, 2, 0, 5, tzinfo=UTC)) == "2026년 1월 2일 오전 9:05 KST"
    assert EN.render(date(2026, 1, 2)) == "2026-01-02"
    with pytest.raises(ValueError):
        format_clock(datetime(2026, 1, 2), Lang.KO)


def test_locale_then_choice_then_question(fake_slack, store) -> None:
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    languages = Languages(store, Lang.KO, ttl=3600.0)
    fake_slack.user_locales["U1"] = "en-GB"
    assert languages.for_user(client, "T1", "U1", "WTI?") is Lang.EN            # the locale
    languages.choose("T1", "U1", Lang.KO)
    assert languages.for_user(client, "T1", "U1", "WTI?") is Lang.KO            # the user's own choice
    assert languages.for_user(client, "T1", "U1", "what does Dubai cost now") is Lang.EN   # the question's
    fake_slack.user_locales["U2"] = "ja-JP"
    assert languages.for_user(client, "T1", "U2") is Lang.KO                    # neither: the workspace's
    assert languages.for_user(None, "T1", "U3") is Lang.KO


def test_locale_is_cached_per_user_for_the_ttl(fake_slack, store) -> None:
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    clock = Clock()
    languages = Languages(store, Lang.KO, ttl=600.0, clock=clock)
    fake_slack.user_locales["U1"] = "ko-KR"
    for _ in range(3):
        assert languages.for_user(client, "T1", "U1") is Lang.KO
    calls = fake_slack.calls_to("users.info")
    assert len(calls) == 1 and calls[0].params.get("include_locale") in {"true", "1", True, "True"}
    fake_slack.user_locales["U1"] = "en-US"
    clock.now += 599
    assert languages.for_user(client, "T1", "U1") is Lang.KO
    clock.now += 2
    assert languages.for_user(client, "T1", "U1") is Lang.EN
    assert len(fake_slack.calls_to("users.info")) == 2


@pytest.mark.parametrize("fault", [
    lambda fake: fake.fail("users.info", "internal_error"),
    lambda fake: fake.server_error("users.info", status=502),
    lambda fake: fake.answer_late("users.info", 4.0),     # past the quick client's 3 s: a timeout
])
def test_a_failed_lookup_falls_back_and_is_retried_sooner(fake_slack, store, fault) -> None:
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    clock = Clock()
    languages = Languages(store, Lang.EN, ttl=3600.0, clock=clock)
    fault(fake_slack)
    assert languages.for_user(client, "T1", "U1") is Lang.EN
    fake_slack.user_locales["U1"] = "ko-KR"
    assert languages.for_user(client, "T1", "U1") is Lang.EN     # not asked again at once
    clock.now += FAILED_LOOKUP_TTL + 1
    assert languages.for_user(client, "T1", "U1") is Lang.KO


def test_a_workspace_without_users_read_is_not_asked_again_for_the_ttl(fake_slack, store, caplog) -> None:
    """An install from before oilfx asked for users:read: every user of that workspace would cost a refused call
    (and a warning) per turn; it is asked once per TTL and logged once, and other workspaces are still asked."""
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    clock = Clock()
    languages = Languages(store, Lang.KO, ttl=600.0, clock=clock)
    fake_slack.fail("users.info", "missing_scope", times=None, when=lambda p: p.get("user", "").startswith("UOLD"))
    fake_slack.user_locales.update({"UOLD1": "en-US", "UOLD2": "en-US", "UNEW1": "en-US"})
    with caplog.at_level("WARNING", logger="oilfx.slack.language"):
        assert languages.for_user(client, "TOLD", "UOLD1") is Lang.KO
        assert languages.for_user(client, "TOLD", "UOLD2") is Lang.KO
    assert len(fake_slack.calls_to("users.info")) == 1
    assert sum("users:read" in r.getMessage() for r in caplog.records) == 1
    assert languages.for_user(client, "TNEW", "UNEW1") is Lang.EN
    clock.now += 601
    fake_slack.clear_faults()
    assert languages.for_user(client, "TOLD", "UOLD2") is Lang.EN    # reinstalled: asked again after the TTL


def test_choice_survives_a_restart_and_is_per_team(tmp_path) -> None:
    path = str(tmp_path / "oilfx.db")
    first = SqliteStore(path)
    Languages(first, Lang.KO, 60).choose("T1", "U1", Lang.EN)
    first.close()
    again = SqliteStore(path)
    languages = Languages(again, Lang.KO, 60)
    assert languages.chosen("T1", "U1") is Lang.EN and languages.chosen("T2", "U1") is None
    again.purge_team("T1")
    assert languages.chosen("T1", "U1") is None
    again.close()
