"""The slash commands, alert and digest posts and the App Home in Korean and in English, end to end through
`python bot.py` against the fakes (fake Slack, fake OpenAI, fixture pages). One bot per workspace language
(OILFX_LANG=ko, then en); each test's user has the OTHER language as their Slack locale, so every assertion tells
the workspace's language (the channel-visible table, confirmations, alert and digest posts) from the user's
(ephemeral replies, help, errors, the App Home, /oilprice lang). Expected text comes from the catalogs (`Texts`)
and the fixture quote, never typed in here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from oilfx.i18n import Lang, Texts, benchmark_name, texts
from oilfx.i18n.formats import display_width
from oilfx.market import KST, Quote, format_krw, format_usd
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.market.rule_parse import describe_rule
from oilfx.slack.alert_text import ALERT_USAGE
from oilfx.slack.announce_render import WEEKDAYS
from oilfx.slack.chart_post import describe
from oilfx.slack.home_view import HOME_DELETE_ACTION, MAX_VIEW_BLOCKS
from oilfx.slack.listeners.commands import chart
from oilfx.slack.listeners.commands.lang import LANGUAGE_NAMES
from oilfx.slack.listeners.commands.oilprice import help_text
from oilfx.slack.mrkdwn import escape
from oilfx.store.alerts import Digest
from oilfx.store.sqlite import SqliteStore
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_views import app_home_opened
from tests.test_chart_e2e import closes  # noqa: F401  (the fake's FRED history re-dated to end today)

TIMEOUT = 20.0
LOCALES = {Lang.KO: "ko-KR", Lang.EN: "en-US"}
MAX_ALERTS = 3


@dataclass
class Bot:
    process: BotProcess
    lang: Lang      # the workspace's (OILFX_LANG)
    db: str

    @property
    def tx(self) -> Texts:
        return texts(self.lang)

    @property
    def other(self) -> Lang:
        return Lang.EN if self.lang is Lang.KO else Lang.KO


@pytest.fixture(scope="module", params=[Lang.KO, Lang.EN], ids=["ko", "en"])
def bot(request: pytest.FixtureRequest, slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer,
        closes: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:  # noqa: F811
    lang: Lang = request.param
    db = str(tmp_path_factory.mktemp(f"store-{lang.value}") / "oilfx.db")
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": db, "OILFX_LOG_LEVEL": "INFO",
           "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_MAX_ALERTS": str(MAX_ALERTS), "OILFX_LANG": lang.value,
           "OILFX_HISTORY_OIL_SOURCES": "fred",
           "OILFX_ALERT_INTERVAL": "1"}   # alerts are checked each second: a holding alert is posted at once
    process = start_connected(env, slack)
    yield Bot(process, lang, db)
    process.stop()


@pytest.fixture
def store(bot: Bot) -> Iterator[SqliteStore]:
    """A reader (and, for the App Home's many alerts, a writer) of the bot's file."""
    book = SqliteStore(bot.db)
    yield book
    book.close()


def user(slack: FakeSlack, bot: Bot, name: str) -> tuple[str, Texts]:
    """A user whose Slack locale is the other language than the workspace's; their Texts."""
    uid = f"U0{name.upper()}{bot.lang.value.upper()}"
    slack.user_locales[uid] = LOCALES[bot.other]
    return uid, texts(bot.other)


def command(slack: FakeSlack, text: str, channel: str, uid: str) -> dict[str, Any]:
    """Run `/oilprice <text>`; the body the bot posted to the command's response_url."""
    payload = slack.slash_command(text=text, channel=channel, user=uid)
    slack.wait_ack(slack.deliver("slash_commands", payload))
    url = payload["response_url"]
    return slack.wait_for(lambda: next((r["body"] for r in slack.responses if r["url"] == url), None), TIMEOUT,
                          what=f"the answer to /oilprice {text}")


def channel(bot: Bot, name: str) -> str:
    return f"C0{name.upper()}{bot.lang.value.upper()}"


def test_the_bare_table_is_in_the_workspace_language_with_its_columns_lined_up(bot, slack, quote: Quote):
    uid, _ = user(slack, bot, "table")
    body = command(slack, "", channel(bot, "table"), uid)
    tx, text = bot.tx, body["text"]
    assert body["response_type"] == "in_channel"
    assert text.startswith(tx.t("*Crude oil in Korean won*"))
    for name, price in quote.oil.items():
        assert tx.render(benchmark_name(name)) in text and tx.render(price.as_of) in text
        assert format_krw(quote.krw_per_barrel(name)) in text
    assert ("전 거래일 정산가" in text) is (bot.lang is Lang.KO)   # the settlement note is Korean in Korean
    # every USD figure ends where its header does, counted in display columns (Hangul takes two)
    rows = text.split("```")[1].splitlines()
    header_end = display_width(rows[0][:rows[0].index(tx.t("USD/bbl"))]) + display_width(tx.t("USD/bbl"))
    for name, price in quote.oil.items():
        [row] = [r for r in rows if r.startswith(tx.render(benchmark_name(name)))]
        usd = format_usd(price.usd)
        assert display_width(row[:row.index(usd)]) + display_width(usd) == header_end, rows


def test_help_is_in_the_users_language(bot, slack):
    uid, tx = user(slack, bot, "help")
    body = command(slack, "help", channel(bot, "help"), uid)
    assert body["response_type"] == "ephemeral" and body["text"] == help_text(tx)
    assert "/oilprice lang" in body["text"]


def test_oilprice_lang_is_kept_and_decides_for_a_neutral_question(bot, slack):
    """A user whose locale is the other language chooses the workspace's: the choice then wins over the locale
    for what only they read and for a question that says nothing of its language."""
    uid, locale_tx = user(slack, bot, "lang")
    where, chosen, chosen_tx = channel(bot, "lang"), bot.lang, bot.tx
    assert command(slack, "lang", where, uid)["text"] == locale_tx.t(
        "oilfx writes to you in {language}, the language of your Slack account. Choose another with "
        "`/oilprice lang ko` or `/oilprice lang en`.", language=LANGUAGE_NAMES[bot.other])
    word = "한국어" if chosen is Lang.KO else "english"
    done = command(slack, f"lang {word}", where, uid)
    assert done["response_type"] == "ephemeral" and done["text"] == chosen_tx.t(   # in the new language
        "Done: oilfx now writes to you in {language}. A question written in another language is still answered "
        "in that language.", language=LANGUAGE_NAMES[chosen])
    assert LANGUAGE_NAMES[chosen].in_lang(chosen) in command(slack, "lang", where, uid)["text"]
    assert command(slack, "alerts", where, uid)["text"].startswith(chosen_tx.t("*Alerts in this channel*"))
    slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text="WTI?", channel=where, user=uid)))
    header = chosen_tx.t("<@{user}> asked: _{question}_", user=uid, question="WTI?")
    slack.wait_for_message(channel=where, contains=header, timeout=TIMEOUT)
    bad = command(slack, "lang klingon", where, uid)["text"]   # both languages: the user may read only one
    assert all(t.t("`{value}` is not a language oilfx writes. Use `/oilprice lang ko` (한국어) or `/oilprice lang "
                   "en` (English).", value="klingon") in bad for t in (texts(Lang.KO), texts(Lang.EN)))


def test_the_chart_is_posted_in_the_workspace_language_and_a_bad_word_told_in_the_users(bot, slack):
    uid, user_tx = user(slack, bot, "chart")
    where = channel(bot, "chart")
    # no response_url answer: the chart goes to the channel
    slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text="chart WTI 1m", channel=where, user=uid)))
    request = chart.parse(["WTI", "1m"])
    prefix = bot.tx.t("<@{user}> asked for a chart: *{chart}*\n{summary}", user=uid,
                      chart=escape(describe(request, bot.tx)), summary="")
    posted = slack.wait_for_message(channel=where, contains=prefix, timeout=TIMEOUT)
    assert posted.text.startswith(prefix)
    with pytest.raises(chart.BadChart) as refused:
        chart.parse(["WTI", "gold"])
    body = command(slack, "chart WTI gold", where, uid)
    assert body["response_type"] == "ephemeral"
    assert body["text"] == user_tx.t("{problem}\nUsage: {usage}", problem=refused.value.text, usage=chart.USAGE)


def test_an_alert_is_confirmed_listed_posted_and_deleted_each_in_its_language(bot, slack, store):
    uid, user_tx = user(slack, bot, "alert")
    where, team = channel(bot, "alert"), slack.workspace.team_id
    set_ = command(slack, "alert Brent > 1", where, uid)   # it holds at once: posted at the next check
    [alert] = store.list_alerts(team, where)
    rule = Rule("Brent", Unit.USD, Direction.ABOVE, Decimal("1"))
    assert set_["response_type"] == "in_channel"
    assert bot.tx.render(describe_rule(rule)) in set_["text"] and f"*#{alert.id}*" in set_["text"]
    assert set_["text"].startswith(f"<@{uid}> ")
    # the post: in the workspace's language, the rule worded as everywhere else
    posted = slack.wait_for_message(channel=where, contains=f"<@{uid}>", timeout=TIMEOUT)
    assert posted.text.startswith(f"<@{uid}> {bot.tx.render(describe_rule(rule))}: ")
    assert f"#{alert.id}" in posted.text
    listed = command(slack, "alerts", where, uid)
    assert listed["response_type"] == "ephemeral"
    assert listed["text"].startswith(user_tx.t("*Alerts in this channel*"))
    assert escape(user_tx.render(describe_rule(rule))) in listed["text"]
    refused = command(slack, "alert Brent", where, uid)
    assert refused["response_type"] == "ephemeral" and user_tx.render(ALERT_USAGE) in refused["text"]
    deleted = command(slack, f"alert delete {alert.id}", where, uid)
    assert deleted["text"] == user_tx.t("Alert *#{id}* deleted.", id=alert.id)
    assert store.list_alerts(team, where) == []


def test_a_digest_is_confirmed_and_posted_in_the_workspace_language(bot, slack, store):
    uid, _ = user(slack, bot, "digest")
    where, team = channel(bot, "digest"), slack.workspace.team_id
    confirmed = command(slack, "digest 7:05", where, uid)
    assert confirmed["response_type"] == "in_channel" and confirmed["text"] == bot.tx.t(
        "<@{user}> set this channel's digest: every weekday at *{time} KST*, the price table and the day's change.",
        user=uid, time="07:05")
    now = datetime.now(KST)
    if now.weekday() >= 5:
        pytest.skip("digests post on KST weekdays only")
    # due a minute ago (or at midnight, just past), set yesterday: the bot's next digest tick (each second) posts it
    earlier = now - timedelta(minutes=1)
    at = earlier.time().replace(second=0, microsecond=0) if earlier.date() == now.date() else time(0, 0)
    store.set_digest(Digest(team, where, uid, at, now - timedelta(days=1)))
    header = bot.tx.t("Oil prices, {weekday} {day}", weekday=WEEKDAYS[now.weekday()], day=now.date())
    posted = slack.wait_for_message(channel=where, contains=header, timeout=TIMEOUT)
    assert posted.blocks and posted.blocks[0]["text"]["text"] == header
    assert bot.tx.t("*Crude oil in Korean won*") in posted.all_text and f"<@{uid}>" in posted.all_text


def test_the_app_home_is_in_the_users_language_within_slacks_limits_at_the_most_alerts(bot, slack, store):
    """As many alerts as the user can have in many channels (OILFX_MAX_ALERTS each) and a digest in each: the
    fake's views.publish refuses a view over Slack's limits, so a published view is within them."""
    uid, tx = user(slack, bot, "home")
    team, now = slack.workspace.team_id, datetime.now(KST)
    far = Rule("Brent", Unit.KRW_PER_LITRE, Direction.ABOVE, Decimal("65000.25"))   # never holds: never posted
    for c in range(40):
        for _ in range(MAX_ALERTS):
            store.add_alert(team, f"C0HOME{c:03d}", uid, far, MAX_ALERTS, now)
        store.set_digest(Digest(team, f"C0HOME{c:03d}", uid, time(23, 59), now))
    slack.wait_ack(slack.deliver("events_api", app_home_opened(slack.workspace, uid)))
    view = slack.wait_for_home(uid, timeout=TIMEOUT)
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and len(view["blocks"]) <= MAX_VIEW_BLOCKS
    assert tx.t("Your alerts") in text and tx.t("Your digests") in text and tx.t("How to use oilfx") in text
    assert tx.render(describe_rule(far)) in text and tx.t("Benchmark") in text
    buttons = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == HOME_DELETE_ACTION]
    assert buttons and all(b["text"]["text"] == tx.t("Delete") for b in buttons)
    assert {b["confirm"]["title"]["text"] for b in buttons} == {tx.t("Delete this alert?"), tx.t("Delete this digest?")}
    assert tx.t("… and {count} more: `/oilprice alerts` in each channel.",
                count=40 * MAX_ALERTS - sum(b["value"].startswith("alert:") for b in buttons)) in text
