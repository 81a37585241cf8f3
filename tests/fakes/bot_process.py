"""Run `python bot.py` as a separate process against loopback fakes (for the end-to-end tests).

    bot = BotProcess(env).start()          # cwd: a fresh temp dir without .env
    bot.stop()                             # SIGTERM, then SIGKILL; bot.kill() for SIGKILL at once
    bot.log()                              # everything the bot wrote to stderr
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
BOT = REPO / "bot.py"


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """A minimal environment: no inherited tokens, proxies or OILFX_* settings; only `extra` on top. Nothing else
    is set, so a bot runs on the defaults a user gets (streaming on) unless a test asks for another path
    (OILFX_STREAM=false: the placeholder path, e.g. tests/test_bot_e2e.py's placeholder run)."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"}}
    # English channel posts unless a test asks for the Korean default (OILFX_LANG="" or "ko"); the fake Slack's
    # users are en-US unless a test gives them another locale.
    return {**base, "PYTHONUNBUFFERED": "1", "OILFX_LANG": "en", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: str | None = None) -> None:
        self.env = clean_env(env)
        self.cwd = cwd or tempfile.mkdtemp(prefix="oilfx-bot-")
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_path = Path(self.cwd) / "bot-stderr.log"
        self._logs: list[str] = []

    def start(self) -> BotProcess:
        log = open(self._log_path, "ab")  # noqa: SIM115 - the child process owns it until stop()
        self.proc = subprocess.Popen([sys.executable, str(BOT)], cwd=self.cwd, env=self.env,
                                     stdout=log, stderr=log)
        log.close()
        return self

    def run(self, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run to exit (for start-up failures); returns the completed process with its output."""
        return subprocess.run([sys.executable, str(BOT)], cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""


def start_connected(env: dict[str, str], slack: Any, connections: int = 1) -> BotProcess:
    """Start `python bot.py` and wait until the fake Slack has `connections` Socket Mode connections; if it never
    connects, stop it and fail the test with the bot's log."""
    process = BotProcess(env).start()
    try:
        slack.wait_connections(connections, timeout=30)
    except AssertionError:
        process.stop()
        pytest.fail(f"bot did not connect; its log:\n{process.log()}")
    return process


def user_turns(openai_fake: Any, question: str) -> int:
    """How many Responses requests carried `question` as the user's input (one per turn that asked it)."""
    return sum(1 for r in openai_fake.requests if r["path"] == "/v1/responses" and any(
        isinstance(i, dict) and i.get("content") == question for i in (r["body"] or {}).get("input") or []))


def kill_mid_turn(slack: Any, openai_fake: Any, env: dict[str, str], question: str, channel: str,
                  registered: Callable[[], Any], timeout: float = 20.0) -> dict[str, Any]:
    """Start a bot, ask `question` in `channel`, and kill it -9 once `registered()` (its reply is in the store)
    and its first model round was asked (each round takes 2 s: the kill lands inside that round, before any tool
    runs, even when a busy machine delays the reply's registration). Returns the mention's payload."""
    bot = start_connected(env, slack)
    openai_fake.latency = 2.0
    try:
        payload = slack.app_mention(question, channel=channel)
        slack.wait_ack(slack.deliver("events_api", payload))
        # Polled: slack.wait_for re-checks only when the fake Slack sees a call, and neither the store nor the fake
        # OpenAI tells it; waiting for the next Slack call (a progress update) killed the bot mid-tools, sometimes
        # holding the quote cache's fill lock for its 30 s.
        deadline = time.monotonic() + timeout
        while not (registered() and user_turns(openai_fake, question)):
            assert time.monotonic() < deadline, "the turn's reply was never registered with its first round asked"
            time.sleep(0.02)
        old = slack.connections()
        bot.kill()
        slack.wait_for(lambda: not set(old) & set(slack.connections()), 10, what="the killed bot's connection closed")
    finally:
        openai_fake.latency = 0.0
    return payload
