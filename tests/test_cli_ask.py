"""`python -m oilfx ask` as a subprocess: each engine against the fake OpenAI server and the fixture pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from oilfx.i18n import KO
from oilfx.market.quote import format_krw, krw_per_barrel
from tests.fakes.openai_server import FakeOpenAI, Script
from tests.fakes.pages import PagesServer

ROOT = Path(__file__).resolve().parent.parent
SEED_QUESTION = "현재 WTI 석유 가격을 원화로 알려줄래?"
# The reference case the fixture pages serve (Opinet WTI 76.41, Naver USD/KRW 1,289.00)
EXPECTED = format_krw(krw_per_barrel(Decimal("76.41"), Decimal("1289.00")))


def _ask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OILFX_", "REDIS_"))}
    return subprocess.run([sys.executable, "-m", "oilfx", "ask", *args], env={**base, **env}, cwd=env["_CWD"],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def env(pages_server: PagesServer, fake_openai: FakeOpenAI, tmp_path: Path) -> dict[str, str]:
    return {**pages_server.env(), **fake_openai.env(), "OILFX_DB": str(tmp_path / "oilfx.db"),
            "OILFX_OPENAI_MAX_RETRIES": "1", "PYTHONPATH": str(ROOT), "_CWD": str(tmp_path)}


@pytest.mark.parametrize("engine", ["responses", "assistants", "chat"])
def test_ask_answers_with_the_exact_figure_and_steps(env: dict[str, str], engine: str) -> None:
    # A Korean question: the steps and the footer are Korean too (the question's language wins, as in Slack).
    result = _ask(env, SEED_QUESTION, "--engine", engine, "--steps")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert EXPECTED in lines[0]
    tools = [line for line in lines if line.startswith("도구 ")]
    assert [line.split()[4].split("(")[0] for line in tools] == ["oil_price", "usd_krw", "oil_price_krw"]
    assert all(" 성공 -> " in line for line in tools) and "1회차" in tools[0]
    assert sum(line.startswith("모델 ") for line in lines) == 3 and "토큰 입력" in result.stdout
    assert "도구 호출 2건" in result.stdout
    if engine != "assistants":  # run steps carry no token details
        assert "캐시" in result.stdout and "추론" in result.stdout
    assert "Traceback" not in result.stderr and engine in result.stderr and "· 대화 " in result.stderr


def test_an_english_question_gets_english_steps_whatever_the_default(env: dict[str, str]) -> None:
    english = _ask({**env, "OILFX_LANG": "ko"}, "What does WTI cost in won right now?", "--steps")
    assert english.returncode == 0, english.stderr
    lines = english.stdout.splitlines()
    tools = [line for line in lines if line.startswith("tool ")]
    assert [line.split()[5].split("(")[0] for line in tools] == ["oil_price", "usd_krw", "oil_price_krw"]
    assert sum(line.startswith("model  round ") for line in lines) == 3
    assert "in /" in english.stdout and "cached" in english.stdout and "2 tool calls" in english.stdout
    assert "· conversation " in english.stderr
    # A question of tickers alone says nothing about its language: --lang decides.
    tickers = _ask(env, "WTI KRW?", "--steps", "--lang", "en")
    assert tickers.returncode == 0, tickers.stderr
    assert any(line.startswith("tool   round 1 ") for line in tickers.stdout.splitlines())


def test_ask_json_and_continuing_a_conversation(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    first = _ask(env, SEED_QUESTION, "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert EXPECTED in data["answer"] and data["engine"] == "responses"
    krw = next(s for s in data["steps"] if s["kind"] == "tool" and s["name"] == "oil_price_krw")
    assert krw["output"]["display"] == EXPECTED and krw["data"]["figures"][0] == EXPECTED
    second = _ask(env, "브렌트유는?", "--json", "--conversation", data["conversation"])
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["conversation"] == data["conversation"]
    items = fake_openai.conversations[data["conversation"]]["items"]
    assert sum(i["type"] == "message" and i["role"] == "user" for i in items) == 2


def test_ask_keeps_the_assistant_across_runs(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    for _ in range(2):
        assert _ask(env, SEED_QUESTION, "--engine", "assistants").returncode == 0
    assert fake_openai.paths("POST").count("/v1/assistants") == 1


@pytest.mark.parametrize(("extra", "script", "expected"), [
    ({}, Script.misbehave("500"), "HTTP 500"),
    ({"OPENAI_API_KEY": ""}, Script(), "OPENAI_API_KEY"),
    ({"OILFX_ENGINE": "assistants"}, Script.misbehave("expired"), "'expired'"),
    # llama-server ended every final round `length`: the cut-off text was printed with exit 0
    ({"OILFX_ENGINE": "chat"}, Script.misbehave("length"), "(finish_reason 'length')"),
])
def test_ask_errors_are_one_paragraph_and_exit_1(env: dict[str, str], fake_openai: FakeOpenAI,
                                                 extra: dict[str, str], script: Script, expected: str) -> None:
    fake_openai.script = script  # the CLI runs as a process; the fake it talks to runs here
    result = _ask({**env, **extra}, SEED_QUESTION)
    assert result.returncode == 1
    assert expected in result.stderr and "Traceback" not in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    # the seed's question is Korean, so is the sentence around the error (the engine's own words too)
    assert result.stderr.startswith(KO.t("oilfx: could not answer ({engine} engine): {error}",
                                         engine=extra.get("OILFX_ENGINE", "responses"), error="|").split("|")[0])
