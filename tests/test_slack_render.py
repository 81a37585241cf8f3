"""Rendering (pure functions): mrkdwn conversion, neutralising model output, Slack's size limits, the context
line, the steps breakdown and the /oilprice table."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oilfx.engines.base import Answer, ModelStep, ToolStep
from oilfx.i18n import EN, KO
from oilfx.market.quote import (
    FxRate,
    OilPrice,
    Quote,
    format_krw,
    format_krw_litre,
    format_kst,
    format_rate,
    format_usd,
    krw_per_barrel,
)
from oilfx.slack.caps import CUT_NOTE_ROOM, cut_note
from oilfx.slack.quote_table import render_quote_table
from oilfx.slack.render import (
    BLOCK_LIMIT,
    MESSAGE_LIMIT,
    SECTION_LIMIT,
    SHOW_STEPS_ACTION,
    escape,
    neutralise,
    progress_text,
    render_answer,
    render_error,
    render_progress,
    sources_line,
    split_text,
    steps_breakdown,
    to_mrkdwn,
    wants_steps,
)
from oilfx.tools import Source, ToolResult

# The seed's reference day (KNOC 2023-11-28 settlements, Naver/하나은행 USD/KRW 2023-11-29 16:33 KST).
WTI = OilPrice("WTI", Decimal("76.41"), date(2023, 11, 28), "KNOC")
FX = FxRate(Decimal("1289.00"), datetime(2023, 11, 29, 7, 33, tzinfo=UTC), "Naver (하나은행)")


def tool_step(round_: int, name: str, sources: list[Source], ok: bool = True) -> ToolStep:
    return ToolStep(round_, f"call_{name}", name, "{}", json.dumps({"ok": ok}), ok, 12.5,
                    ToolResult(sources=tuple(sources)))


def seed_answer(text: str) -> Answer:
    oil_src = Source("WTI", WTI.source, f"{WTI.as_of.isoformat()} settlement")
    fx_src = Source("USD/KRW", FX.source, format_kst(FX.as_of))
    steps = (ModelStep(1, 800.0, 120, 30, 2), tool_step(1, "oil_price", [oil_src]), tool_step(1, "usd_krw", [fx_src]),
             ModelStep(2, 400.0, 200, 20, 1), tool_step(2, "oil_price_krw", [oil_src, fx_src]),
             ModelStep(3, 300.0, 260, 60, 0))
    return Answer(text, steps, "conv_1", "responses", "gpt-test")


def all_text(messages) -> str:
    return "\n".join(m.text + json.dumps(m.blocks, ensure_ascii=False) for m in messages)


def test_markdown_becomes_mrkdwn():
    md = "# Today\n**WTI** is *up*.\n- one\n* two\n[KNOC](https://www.knoc.co.kr/) ~~old~~ `**kept**`"
    out = to_mrkdwn(md)
    assert out.splitlines() == ["*Today*", "*WTI* is _up_.", "• one", "• two",
                                "KNOC (https://www.knoc.co.kr/) ~old~ `**kept**`"]  # a label never hides a link


def test_code_blocks_are_left_alone():
    assert to_mrkdwn("```\n**a** - b\n```") == "```\n**a** - b\n```"


def test_special_characters_are_escaped():
    assert to_mrkdwn("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_broadcasts_mentions_and_hidden_links_are_neutralised():
    evil = "<!channel> <!here> <!everyone> <@U123> <!subteam^S42|@oncall> <#C9|general> <https://evil.example|click>"
    out = to_mrkdwn(evil)
    for sequence in evil.split():
        assert sequence not in out
    assert "<" not in out and ">" not in out
    assert "evil.example" in out and "click" in out  # the target is visible, not hidden behind the label


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>!@|&*_#-[]()`~ \nabcUhttps:/.^")), max_size=200))
def test_no_model_text_can_open_a_slack_control_sequence(text):
    out = to_mrkdwn(text)
    for opened in ("<!", "<@", "<#"):
        assert opened not in out
    assert "<" not in out.replace("<http", "")  # only our own converted Markdown links start with "<"


def test_split_respects_limits_and_keeps_every_word():
    words = [f"word{i}" for i in range(3000)]
    pieces = split_text(" ".join(words), 1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert " ".join(pieces).split() == words


def test_a_long_answer_is_split_into_messages_within_slack_limits():
    paragraph = "WTI는 배럴당 가격이 " + "매우 " * 200
    answer = seed_answer("\n\n".join([paragraph] * 25))
    messages = render_answer(answer, EN, steps_key="k1")
    assert len(messages) > 1
    for m in messages:
        assert len(m.blocks) <= BLOCK_LIMIT
        assert len(m.text) <= MESSAGE_LIMIT + 400  # the last one also carries the context line
        for b in m.blocks:
            if b["type"] == "section":
                assert 0 < len(b["text"]["text"]) <= SECTION_LIMIT
    assert "".join(all_text(messages).split()).count("매우") >= 25 * 200
    last = messages[-1].blocks
    assert last[-2]["type"] == "context" and last[-1]["elements"][0]["action_id"] == SHOW_STEPS_ACTION
    assert all(b["type"] == "section" for m in messages[:-1] for b in m.blocks)


def test_context_line_names_sources_as_of_and_engine():
    figure = format_krw(krw_per_barrel(WTI.usd, FX.rate))
    [message] = render_answer(seed_answer(f"WTI is {figure} per barrel."), EN, steps_key="abc")
    context = next(b for b in message.blocks if b["type"] == "context")["elements"][0]["text"]
    assert context.count("KNOC") == 1  # de-duplicated across tool calls
    assert "2023-11-28" in context and format_kst(FX.as_of) in context and "Naver" in context
    assert "responses" in context and "gpt-test" in context
    assert figure in message.text and "KNOC" in message.text  # the fallback text carries sources too


def test_steps_shown_inline_instead_of_button():
    messages = render_answer(seed_answer("ok"), EN, steps_key=None, show_steps=True)
    assert not any(b["type"] == "actions" for m in messages for b in m.blocks)
    text = all_text(messages)
    for part in ("Round 1", "Round 3", "oil_price_krw", "12 ms", "120 in / 30 out tokens"):
        assert part in text


def test_steps_breakdown_escapes_tool_output():
    step = ToolStep(1, "c1", "oil_price", '{"x":"<!channel>"}', '{"error":"<@U1> & co"}', False, 3.0)
    out = steps_breakdown(Answer("", (ModelStep(1, 5.0), step), "c", "chat"), EN)
    assert "<!channel>" not in out and "<@U1>" not in out and "error" in out


def test_wants_steps_keywords():
    assert wants_steps("WTI in won, show steps") and wants_steps("계산 과정도 보여줘") and wants_steps("단계별로")
    assert not wants_steps("what is the price?") and not wants_steps("stepsister")


def test_error_message_is_neutralised():
    message = render_error("source said <!here> & failed")
    assert "<!here>" not in message.text and message.text.startswith(":warning:")
    assert neutralise("<@U1>") == "@\u200bU1"


def test_quote_table_shows_every_benchmark_with_exact_won_figures():
    oil = {"WTI": WTI, "Brent": OilPrice("Brent", Decimal("81.68"), WTI.as_of, "KNOC")}
    from oilfx.i18n import EN  # local: the import block above is shared with other work in progress

    quote = Quote(oil, FX, datetime(2023, 11, 29, 8, 0, tzinfo=UTC), missing={"Dubai": "knoc: HTTP 503"})
    message = render_quote_table(quote, EN)
    for name in oil:
        assert format_usd(oil[name].usd) in message.text
        assert format_krw(quote.krw_per_barrel(name)) in message.text
        assert format_krw_litre(quote.krw_per_litre(name)) in message.text
    assert "Dubai" in message.text and "HTTP 503" in message.text
    assert format_rate(FX.rate) in message.text and format_kst(FX.as_of) in message.text
    assert all(len(b.get("text", {}).get("text", "")) <= SECTION_LIMIT for b in message.blocks)


def test_quote_table_has_the_pump_price_line_below_it_escaped():
    from oilfx.i18n import EN
    from oilfx.slack.render import escape  # local: the import block above is shared with other work in progress

    quote = Quote({"WTI": WTI}, FX, datetime(2023, 11, 29, 8, 0, tzinfo=UTC))
    line = "Pump prices unavailable (no pump prices: knoc: <!here> HTTP 503)"
    message = render_quote_table(quote, EN, line)
    assert message.blocks[-1]["type"] == "context" and "<!here>" not in message.text
    assert escape(line) in message.text and escape(line) in str(message.blocks[-1])
    assert render_quote_table(quote, EN).blocks[-1] != message.blocks[-1]


def test_each_answer_has_its_own_block_ids():
    def block_ids(steps_key: str, feedback_key: str) -> list[str]:
        messages = render_answer(seed_answer("ok"), EN, steps_key=steps_key, feedback_key=feedback_key)
        return [b["block_id"] for m in messages for b in m.blocks if "block_id" in b]

    first, second = block_ids("stepsA", "feedA"), block_ids("stepsB", "feedB")
    assert len(first) == 2 and len(set(first)) == len(first)  # the Show steps and the feedback blocks
    assert not set(first) & set(second)
    assert all(len(block_id) <= 255 for block_id in first)  # Slack's block_id limit


# --- the frame in each language ---------------------------------------------------------------------------------

BUTTON_TEXT_LIMIT = 75     # Slack: a button's plain_text (and a feedback button's accessibility_label) ≤ 75
CONTEXT_TEXT_LIMIT = 3000  # Slack: a context block's mrkdwn element ≤ 3,000 characters


def busy_answer(text: str) -> Answer:
    """Many rounds of many calls with long arguments and results: the longest breakdown a turn can make."""
    steps: list[ModelStep | ToolStep] = []
    for r in range(1, 9):
        steps.append(ModelStep(r, 1234.0, 99_999, 9_999, 6))
        for i in range(6):
            steps.append(ToolStep(r, f"c{r}_{i}", "oil_price_krw", '{"benchmark":"' + "W" * 300 + '"}',
                                  '{"error":"' + "x" * 600 + '"}', i % 2 == 0, 12.5))
    return Answer(text, tuple(steps), "conv", "responses", "gpt-test")


@pytest.mark.parametrize("texts", [EN, KO], ids=["en", "ko"])
def test_the_frame_keeps_slacks_limits_in_each_language(texts):
    answer = busy_answer("\n\n".join(["WTI는 배럴당 " + "매우 " * 200] * 12))
    messages = render_answer(answer, texts, steps_key=None, show_steps=True, feedback_key="f1")
    for m in messages:
        assert len(m.blocks) <= BLOCK_LIMIT and len(m.text) <= MESSAGE_LIMIT + 400
        for b in m.blocks:
            if b["type"] == "section":
                assert 0 < len(b["text"]["text"]) <= SECTION_LIMIT
    assert texts.t("Run steps") in all_text(messages)
    [with_button] = render_answer(seed_answer("ok"), texts, steps_key="k" * 64, feedback_key="f" * 64)
    buttons = [e for b in with_button.blocks if b["type"] == "actions" for e in b["elements"]]
    feedback = next(e for b in with_button.blocks if b["type"] == "context_actions" for e in b["elements"])
    labels = [buttons[0]["text"]["text"]]
    for side in ("positive_button", "negative_button"):
        labels += [feedback[side]["text"]["text"], feedback[side]["accessibility_label"]]
    assert labels[0] == texts.t("Show steps") and all(0 < len(label) <= BUTTON_TEXT_LIMIT for label in labels)


@pytest.mark.parametrize("texts", [EN, KO], ids=["en", "ko"])
def test_the_sources_line_and_progress_fit_their_blocks_in_each_language(texts):
    sources = [Source(f"{name} {i}", "Naver (하나은행) " * 3, f"{WTI.as_of.isoformat()} settlement")
               for i in range(6) for name in ("WTI", "Brent", "Dubai", "USD/KRW")]
    answer = Answer("ok", (tool_step(1, "oil_price", sources),), "conv", "responses", "gpt-test")
    line = sources_line(answer, texts)
    assert line.startswith(escape(texts.t("Sources: {sources} · oilfx {engine}", sources="\0", engine="")
                                  .split("\0")[0]))
    assert len(line) <= CONTEXT_TEXT_LIMIT
    progress = render_progress(texts, running=["oil_price", "usd_krw", "oil_price_krw"] * 3,
                               done=["price_history"] * 9)
    assert progress.text.startswith(progress_text(texts)) and len(progress.text) <= CONTEXT_TEXT_LIMIT
    assert len(cut_note(texts)) < CUT_NOTE_ROOM  # the note fits the room a full stream keeps for it


def test_korean_frame_words_come_from_the_catalog():
    [message] = render_answer(seed_answer(""), KO, steps_key=None, show_steps=False)
    text = all_text([message])
    assert KO.t("(the model returned an empty answer)") in text and "Sources" not in text
    breakdown = steps_breakdown(seed_answer("ok"), KO)
    assert breakdown.splitlines()[0] == "*" + KO.t("Run steps") + "*"
    assert KO.n("Round {round}: model {ms} ms, {input} in / {output} out tokens, {count} tool call",
                "Round {round}: model {ms} ms, {input} in / {output} out tokens, {count} tool calls", 2,
                round=1, ms="800", input=120, output=30) in breakdown
    assert "Round" not in breakdown and " ok, " not in breakdown
