"""The benchmark's moving parts: the loopback fakes with injected latencies, bot processes, and turn timing.

A turn's latency is measured entirely inside the fake Slack's clock (time.time() in this process): from the
moment the envelope was sent over Socket Mode (`Envelope.sent_at`) to the moment the fake recorded the message
version (chat.postMessage / chat.update / chat.*Stream) that first shows the final answer.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path

import psutil

from oilfx.market.quote import format_krw, krw_per_barrel
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import REFERENCE_OIL, REFERENCE_USDKRW, PagesServer
from tests.fakes.slack_server import FakeSlack, Message

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "what does WTI cost in won right now?"
# The won figure the fake model quotes for QUESTION, computed from the fixture pages' reference values.
WTI_KRW = format_krw(krw_per_barrel(Decimal(REFERENCE_OIL["WTI"]), Decimal(REFERENCE_USDKRW.replace(",", ""))))
# The fake model's final answer says "<figure> per barrel"; tool progress displays do not.
ANSWER_MARK = f"{WTI_KRW} per barrel"
# Model rounds per turn in the fake's script: tools (oil_price + usd_krw), oil_price_krw, the answer.
SCRIPT_ROUNDS = 3
MODEL_ROUND_PATHS = ("/v1/responses", "/v1/chat/completions")

def _quiet_handle_error(self: ThreadingHTTPServer, request: object, client_address: object) -> None:
    """A bot process stopped mid-request resets its connection: expected here, not worth a traceback."""
    if not isinstance(sys.exc_info()[1], ConnectionError):
        socketserver.BaseServer.handle_error(self, request, client_address)


ThreadingHTTPServer.handle_error = _quiet_handle_error  # type: ignore[method-assign]


@dataclass(frozen=True)
class Latencies:
    model_ms: float
    page_ms: float
    slack_ms: float


class Fakes:
    """The three loopback fakes (market pages, OpenAI, Slack) running in this process."""

    def __init__(self, latencies: Latencies) -> None:
        self.pages = PagesServer().start()
        self.openai = FakeOpenAI().start()
        self.openai.async_runs = True  # Assistants runs spend the model's time in_progress, as the real API
        self.slack = FakeSlack().start()
        self.set_latencies(latencies)

    def set_latencies(self, latencies: Latencies) -> None:
        self.latencies = latencies
        self.pages.delay = latencies.page_ms / 1000
        self.openai.latency = latencies.model_ms / 1000
        self.slack.set_latency(latencies.slack_ms / 1000)

    def env(self) -> dict[str, str]:
        return {**self.pages.env(), **self.openai.env(), **self.slack.env(socket_mode=True)}

    def model_rounds(self) -> int:
        """Model rounds the fake OpenAI has served so far (Responses, Chat, Assistants run creations/submits)."""
        n = 0
        for r in list(self.openai.requests):
            if r["method"] != "POST":
                continue
            path = r["path"]
            if path in MODEL_ROUND_PATHS or path.endswith("/submit_tool_outputs") or path.endswith("/runs"):
                n += 1
        return n

    def page_requests(self) -> int:
        return self.pages.total()

    def stop(self) -> None:
        for stop in (self.slack.stop, self.openai.stop, self.pages.stop):
            with contextlib.suppress(Exception):
                stop()


class BotProcess:
    """`python bot.py` (or the seed baseline) as a subprocess on Socket Mode against the fake Slack."""

    def __init__(self, fakes: Fakes, argv: list[str], env: dict[str, str], name: str) -> None:
        self.fakes, self.argv, self.name = fakes, argv, name
        self.tmp = tempfile.TemporaryDirectory(prefix=f"oilfx-bench-{name}-")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "OILFX_"))},
            **fakes.env(),
            "OILFX_DB": str(Path(self.tmp.name) / "oilfx.db"),
            "OILFX_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.log_path = Path(self.tmp.name) / "bot.log"
        self.proc: subprocess.Popen | None = None
        self.connection = 0

    def start(self, timeout: float = 60.0) -> BotProcess:
        before = max(self.fakes.slack.connections(), default=0)
        with contextlib.suppress(ValueError):
            before = max(before, max(c for _, c, _ in self.fakes.slack.connection_log))
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, *self.argv], cwd=ROOT, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            newer = [c for c in self.fakes.slack.connections() if c > before]
            if newer:
                self.connection = newer[0]
                return self
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not open a Socket Mode connection in {timeout:g} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cpu_seconds(self) -> float:
        """User + system CPU the bot process has used so far."""
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    def rss_mb(self) -> float:
        assert self.proc is not None
        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
        self.tmp.cleanup()

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# What `python bot.py` runs as: the engine, plus settings that differ from the defaults.
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "responses": ("responses", {}),
    "chat": ("chat", {}),
    "assistants": ("assistants", {}),
    # Slack native streaming and SSE from the model are on by default; this shows what they cost.
    "responses-nostream": ("responses", {"OILFX_STREAM": "false"}),
}


def bot(fakes: Fakes, variant: str, **env: str) -> BotProcess:
    engine, extra = VARIANTS[variant]
    return BotProcess(fakes, ["bot.py"], {"OILFX_ENGINE": engine, **extra, **env}, variant)


# The seed's KNOC markup (six dl.money_list, crude in the last three), which KNOC_PATH no longer serves since KNOC
# became pump prices only: the seed baseline scrapes it here, so it answers as the seed did. The bot never reads it.
SEED_KNOC_PATH = "/knoc-seed/"
SEED_KNOC_FIXTURE = "knoc_seed_2023.html"


def seed_baseline(fakes: Fakes) -> BotProcess:
    fakes.pages.set(SEED_KNOC_PATH, fixture=SEED_KNOC_FIXTURE)
    return BotProcess(fakes, [str(ROOT / "bench" / "baseline_seed.py")],
                      {"OILFX_KNOC_URL": fakes.pages.url + SEED_KNOC_PATH}, "seed baseline")


def template_baseline(fakes: Fakes, shared_client: bool = False) -> BotProcess:
    """The peer modelled on Slack's agent template (bench/baseline_template.py), on the same fakes; shared_client:
    one OpenAI client per process instead of the template's one per model round."""
    env = {"BENCH_TEMPLATE_CLIENT": "shared" if shared_client else "per-call"}
    return BotProcess(fakes, [str(ROOT / "bench" / "baseline_template.py")], env, "template peer")


# ------------------------------------------------------------------------------------------- turns

_channel_counter = iter(range(1, 10**9))


@dataclass(frozen=True)
class Pending:
    envelope_id: str
    channel: str
    thread_ts: str


def mention(fakes: Fakes, proc: BotProcess, text: str = QUESTION) -> Pending:
    """Deliver an @mention that starts a fresh Slack thread; the clock starts when the envelope is sent."""
    channel = f"C0BENCH{next(_channel_counter):05d}"
    payload = fakes.slack.app_mention(text, channel=channel)
    ts = payload["event"]["ts"]
    envelope_id = fakes.slack.deliver("events_api", payload, connection=proc.connection)
    return Pending(envelope_id, channel, ts)


def _shows_answer(version: dict) -> bool:
    text = (version.get("text") or "") + json.dumps(version.get("blocks") or [], ensure_ascii=False)
    return ANSWER_MARK in text


def _answer_time(msg: Message) -> float | None:
    return next((v["time"] for v in list(msg.versions) if _shows_answer(v)), None)


def answered_at(fakes: Fakes, pending: Pending) -> float | None:
    for msg in fakes.slack.posted(pending.channel, pending.thread_ts):
        if (t := _answer_time(msg)) is not None:
            return t
    return None


def first_post_delay(fakes: Fakes, pending: Pending) -> float | None:
    """Seconds from delivery to the bot's first message in the thread (its placeholder, before any model work)."""
    posted = fakes.slack.posted(pending.channel, pending.thread_ts)
    if not posted or not posted[0].versions:
        return None
    return posted[0].versions[0]["time"] - fakes.slack.envelopes[pending.envelope_id].sent_at


def wait_answer(fakes: Fakes, pending: Pending, timeout: float = 60.0) -> float:
    """Seconds from delivery to the answer being visible in the fake Slack."""
    visible = fakes.slack.wait_for(lambda: answered_at(fakes, pending), timeout,
                                   what=f"the answer ({ANSWER_MARK!r}) in thread {pending.thread_ts}")
    return visible - fakes.slack.envelopes[pending.envelope_id].sent_at


def burst(fakes: Fakes, procs: list[BotProcess], n: int, timeout: float) -> tuple[list[Pending], list[float]]:
    """n mentions in n new threads delivered back to back, round-robin over `procs`; the mentions and each one's
    seconds from delivery to its answer."""
    pending = [mention(fakes, procs[i % len(procs)]) for i in range(n)]
    return pending, [wait_answer(fakes, p, timeout) for p in pending]


def ack_latency(fakes: Fakes, pending: Pending, timeout: float = 10.0) -> float:
    fakes.slack.wait_ack(pending.envelope_id, timeout)
    return fakes.slack.acks[pending.envelope_id].latency


def one_turn(fakes: Fakes, proc: BotProcess, timeout: float = 60.0) -> float:
    return wait_answer(fakes, mention(fakes, proc), timeout)


# ------------------------------------------------------------------------------------------- statistics

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)
