"""The four measurements: turn overhead, concurrency, cache, memory. Each returns rows for the report."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness import (
    ANSWER_MARK,
    SCRIPT_ROUNDS,
    BotProcess,
    Fakes,
    Latencies,
    ack_latency,
    bot,
    burst,
    first_post_delay,
    median,
    mention,
    one_turn,
    percentile,
    seed_baseline,
    wait_answer,
)
from oilfx.config import load_settings
from oilfx.market import Market
from tests.fakes.pages import NAVER_FX_PATH, OPINET_PATH

Say = Callable[[str], None]


@dataclass
class Row:
    section: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None   # None: no target (context figure)
    key: str = ""             # names an issue target this row measures (bench/targets.py sums them up)
    number: float | None = None  # the measured figure behind `value`, for that summary


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *args: object, **kw: object) -> None:
        self.rows.append(Row(*args, **kw))  # type: ignore[arg-type]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


# ------------------------------------------------------------------------------------------- turn overhead

OVERHEAD_TARGETS = {"responses": 0.05, "chat": 0.05, "assistants": 0.10, "responses-nostream": 0.05}


@dataclass
class Turns:
    latencies: list[float]
    first_posts: list[float]    # delivery -> the bot's first message in the thread
    rounds: float               # model rounds per turn
    pages: float                # page requests per turn


def _turns(fakes: Fakes, proc: BotProcess, n: int) -> Turns:
    """n sequential turns, each in a fresh thread."""
    rounds0, pages0 = fakes.model_rounds(), fakes.page_requests()
    latencies, first_posts = [], []
    for _ in range(n):
        pending = mention(fakes, proc)
        latencies.append(wait_answer(fakes, pending))
        first_posts.append(first_post_delay(fakes, pending) or 0.0)
    return Turns(latencies, first_posts, (fakes.model_rounds() - rounds0) / n, (fakes.page_requests() - pages0) / n)


def turn_overhead(fakes: Fakes, lat: Latencies, engines: list[str], turns: int, baseline_turns: int,
                  warm: bool, say: Say) -> Result:
    res = Result()
    model, page, slack = lat.model_ms / 1000, lat.page_ms / 1000, lat.slack_ms / 1000
    floor_cold = SCRIPT_ROUNDS * model + page + slack
    floor_warm = SCRIPT_ROUNDS * model + slack
    res.notes.append(
        f"Floor, cold cache = {SCRIPT_ROUNDS} model rounds × {lat.model_ms:g} ms + max(page fetch) {lat.page_ms:g} ms "
        f"+ one Slack call {lat.slack_ms:g} ms = {_ms(floor_cold)} (the fake model's script has {SCRIPT_ROUNDS} "
        f"rounds: oil_price+usd_krw, oil_price_krw, answer; the issue's 2-round formula plus one round). "
        f"Floor, warm cache (no page fetch) = {_ms(floor_warm)}.")
    res.notes.append(
        f"Cold = each turn starts with an empty quote cache: the bot runs with OILFX_CACHE_TTL = model round + 0.3 s "
        f"({model + 0.3:.2f} s), long enough for round 2 to reuse round 1's quote, expired before the next turn; "
        "'pages/turn' shows the fetches (2 = KNOC + Naver, once each). Each bot process answers one discarded "
        "warm-up turn first (imports, connections, the assistants engine creating its assistant). 'Visible' = the "
        "fake Slack's record of the message version (chat.update or chat.stopStream) carrying the final answer "
        f"('{ANSWER_MARK}'); 'first post' = the bot's first message in the thread (its placeholder).")

    def report(name: str, t: Turns, floor: float, state: str, target: float | None) -> None:
        p50, p95, first = median(t.latencies), percentile(t.latencies, 95), median(t.first_posts)
        over = p50 / floor - 1
        say(f"  {name} ({state}): p50 {_ms(p50)} p95 {_ms(p95)} overhead {over:+.1%}; first post after "
            f"{_ms(first)} (rounds/turn {t.rounds:.1f}, pages/turn {t.pages:.1f}, n={len(t.latencies)})")
        res.add("turn overhead", f"{name}, {state} cache: p50 / p95 (n={len(t.latencies)}); delivery -> first "
                "post, p50", f"{_ms(p50)} / {_ms(p95)}; {_ms(first)}")
        res.add("turn overhead", f"{name}, {state} cache: p50 over floor {_ms(floor)} "
                f"(rounds/turn {t.rounds:.1f}, pages/turn {t.pages:.1f})", f"{over:+.1%}",
                f"≤ {target:.0%}" if target is not None else "", None if target is None else over <= target)

    if baseline_turns:  # --baseline-turns 0 skips it (~7 s a turn)
        say(f"seed baseline: {baseline_turns} turn(s) (fixed 2 s polling, sequential tools, no cache)")
        with seed_baseline(fakes) as proc:
            turns_ = _turns(fakes, proc, baseline_turns)
        report("seed baseline", turns_, floor_cold, "no", None)

    for engine in engines:
        say(f"{engine}: {turns} cold turn(s)")
        with bot(fakes, engine, OILFX_CACHE_TTL=f"{model + 0.3:.3f}") as proc:
            one_turn(fakes, proc)
            time.sleep(model + 0.35)  # let the warm-up's quote expire
            turns_ = _turns(fakes, proc, turns)
        report(engine, turns_, floor_cold, "cold", OVERHEAD_TARGETS.get(engine))
        if warm:
            say(f"{engine}: {turns} warm turn(s)")
            with bot(fakes, engine) as proc:
                one_turn(fakes, proc)
                turns_ = _turns(fakes, proc, turns)
            report(engine, turns_, floor_warm, "warm", OVERHEAD_TARGETS.get(engine))
    return res


# ------------------------------------------------------------------------------------------- concurrency

# Issue 19's targets on the bench's default latencies: bot CPU per turn (seconds) streamed and not, a burst's p95 ÷ a
# lone mention, and the Socket Mode ack p99 during the burst.
CPU_TARGETS = {"responses": 0.005, "responses-nostream": 0.003}
BURST_TARGET = 1.3
ACK_P99_TARGET = 0.050

def _burst(fakes: Fakes, proc: BotProcess, n: int, timeout: float) -> tuple[list[float], list[float]]:
    """n mentions in n new threads delivered back to back; their latencies and ack latencies."""
    pending, latencies = burst(fakes, [proc], n, timeout)
    return latencies, [ack_latency(fakes, p) for p in pending]


def concurrency(fakes: Fakes, engine: str, n: int, bursts: int, say: Say) -> Result:
    res = Result()
    with bot(fakes, engine) as proc:
        one_turn(fakes, proc)  # warm-up: the quote cache is warm for the lone and the parallel mentions alike
        cpu0 = proc.cpu_seconds()
        lone = median([one_turn(fakes, proc) for _ in range(3)])
        cpu_per_turn = (proc.cpu_seconds() - cpu0) / 3
        say(f"{engine}: lone mention {_ms(lone)} ({cpu_per_turn * 1000:.1f} ms CPU); {bursts} burst(s) of {n}")
        res.add("concurrency", f"{engine}: lone mention (median of 3); bot CPU per lone turn",
                f"{_ms(lone)}; {cpu_per_turn * 1000:.1f} ms")
        for burst in range(1, bursts + 1):
            cpu0 = proc.cpu_seconds()
            latencies, acks = _burst(fakes, proc, n, timeout=120)
            cpu = proc.cpu_seconds() - cpu0
            p50, p95, ack99 = median(latencies), percentile(latencies, 95), percentile(acks, 99)
            say(f"  burst {burst}: p50 {_ms(p50)} ({p50 / lone:.2f}×) p95 {_ms(p95)} ({p95 / lone:.2f}×) "
                f"ack p99 {_ms(ack99)}; bot CPU {_ms(cpu)}")
            name = f"{engine} burst {burst}: {n} threads at once"
            per_turn, cpu_target = cpu / n, CPU_TARGETS.get(engine)
            res.add("concurrency", f"{name}: bot CPU (one GIL: the work the burst queues up)",
                    f"{_ms(cpu)} ({per_turn * 1000:.1f} ms a turn)",
                    f"≤ {cpu_target * 1000:g} ms a turn" if cpu_target else "",
                    None if cpu_target is None else per_turn <= cpu_target, key=f"cpu:{engine}", number=per_turn)
            res.add("concurrency", f"{name}: p50 ÷ lone", f"{p50 / lone:.2f}× ({_ms(p50)})")
            res.add("concurrency", f"{name}: p95 ÷ lone", f"{p95 / lone:.2f}× ({_ms(p95)})", f"≤ {BURST_TARGET}×",
                    p95 / lone <= BURST_TARGET, key=f"p95:{engine}", number=p95 / lone)
            res.add("concurrency", f"{name}: Socket Mode ack p99 (ack p50 {_ms(median(acks))})", _ms(ack99),
                    f"≤ {ACK_P99_TARGET * 1000:g} ms", ack99 <= ACK_P99_TARGET, key=f"ack:{engine}", number=ack99)
            time.sleep(1.0)
    res.notes.append(f"Concurrency: one `python bot.py` ({engine}), warm quote cache; a lone mention is the "
                     "median of 3 sequential turns in the same process just before the bursts. Burst 1 is the "
                     "process's first (its worker threads are still being created); later bursts follow 1 s apart. "
                     "Ack latency = envelope sent -> ack received, from the fake Slack's records.")
    return res


# ------------------------------------------------------------------------------------------- cache

def cache(fakes: Fakes, calls: int, callers: int, say: Say) -> Result:
    res = Result()
    settings = load_settings(fakes.pages.env())
    market = Market(settings)
    market.quote()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        market.quote()
        samples.append(time.perf_counter() - t0)
    warm = median(samples)
    say(f"warm Market.quote(): median {warm * 1000:.3f} ms over {calls} calls")
    res.add("cache", f"warm Market.quote(), median of {calls} calls", f"{warm * 1000:.3f} ms", "≤ 1 ms", warm <= 0.001)

    cold = Market(settings)
    knoc0, naver0, total0 = fakes.pages.count(OPINET_PATH), fakes.pages.count(NAVER_FX_PATH), fakes.pages.total()
    barrier = threading.Barrier(callers)
    errors: list[BaseException] = []

    def caller() -> None:
        barrier.wait()
        try:
            cold.quote()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.perf_counter() - t0
    knoc, naver = fakes.pages.count(OPINET_PATH) - knoc0, fakes.pages.count(NAVER_FX_PATH) - naver0
    total = fakes.pages.total() - total0
    say(f"{callers} cold concurrent callers: Opinet {knoc}, Naver {naver} request(s) ({total} in all), "
        f"{elapsed * 1000:.0f} ms, {len(errors)} error(s)")
    res.add("cache", f"{callers} concurrent cold callers: requests to Opinet (oil)", str(knoc), "1", knoc == 1)
    res.add("cache", f"{callers} concurrent cold callers: requests to Naver (FX)", str(naver), "1", naver == 1)
    res.add("cache", f"{callers} concurrent cold callers: all page requests, wall time",
            f"{total}, {_ms(elapsed)}", "", None)
    if errors:
        res.notes.append(f"Cold callers raised: {errors[0]!r} ({len(errors)} in all)")
    res.notes.append(f"Cache: in-process `Market` against the pages fake ({fakes.latencies.page_ms:g} ms a page), "
                     "default settings (TTL 60 s); the warm figure includes Market.quote()'s per-call work.")
    return res


# ------------------------------------------------------------------------------------------- memory

def _conversations(fakes: Fakes, proc: BotProcess, n: int, batch: int) -> None:
    done = 0
    while done < n:
        size = min(batch, n - done)
        pending = [mention(fakes, proc) for _ in range(size)]
        for p in pending:
            wait_answer(fakes, p, timeout=120)
        done += size


def memory(fakes: Fakes, engine: str, first: int, second: int, batch: int, say: Say) -> Result:
    res = Result()
    saved = fakes.latencies
    fakes.set_latencies(Latencies(0, 0, 0))  # memory, not latency: run the conversations as fast as they go
    try:
        with bot(fakes, engine) as proc:
            time.sleep(1.0)
            idle = proc.rss_mb()
            say(f"{engine}: RSS idle {idle:.1f} MB; {first} conversations in batches of {batch}")
            t0 = time.perf_counter()
            _conversations(fakes, proc, first, batch)
            after_first = proc.rss_mb()
            say(f"  after {first}: {after_first:.1f} MB ({time.perf_counter() - t0:.0f} s); {second - first} more")
            _conversations(fakes, proc, second - first, batch)
            after_second = proc.rss_mb()
            say(f"  after {second}: {after_second:.1f} MB")
    finally:
        fakes.set_latencies(saved)
    growth = after_second - after_first
    res.add("memory", f"{engine}: RSS idle (connected, no conversation yet)", f"{idle:.1f} MB")
    res.add("memory", f"RSS after {first:,} conversations", f"{after_first:.1f} MB", "≤ 150 MB", after_first <= 150)
    res.add("memory", f"RSS after {second:,} conversations (growth since {first:,})",
            f"{after_second:.1f} MB ({growth:+.1f} MB)", "≤ 150 MB, not growing",
            after_second <= 150 and growth <= max(2.0, 0.05 * after_first))
    res.notes.append(f"Memory: one `python bot.py` ({engine}, default settings), each conversation a mention in "
                     f"a new thread, {batch} at a time, with zero injected latency; 'not growing' = growth "
                     "≤ max(2 MB, 5%).")
    return res
