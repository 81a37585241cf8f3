"""Scale-out: N `python bot.py` processes on one real redis-server (REDIS_URL), all on the fake Slack's Socket Mode,
take a burst of B mentions in new threads delivered back to back, round-robin over their connections as Slack
spreads events over an app's connections.

Figures: the burst's p95 ÷ a lone mention on the same processes, ack p99, each thread answered exactly once, and
the CPU per turn summed over the processes. From that CPU per turn c and the lone turn L follows what fits within
1.3× a lone mention: every turn queued on one process's GIL delays the others, so a burst of B threads stays
within 1.3× when B × c ≤ 0.3 × L on one process, and when B × c ≤ 0.3 × L × min(N, cores) on N processes; at a
steady rate r, the mentions of one turn's window (r × L) must fit the same way: r ≤ 0.3 × min(N, cores) ÷ c.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.burst import answers_in_thread
from bench.harness import BotProcess, Fakes, ack_latency, bot, burst, median, one_turn, percentile
from bench.sections import BURST_TARGET, Result
from tests.fakes.redis_server import RedisServer

Say = Callable[[str], None]
HEADROOM = BURST_TARGET - 1  # the share of a lone turn that queued CPU may add


def fits(lone: float, cpu_per_turn: float, processes: int) -> tuple[int, float]:
    """(burst size, mentions per second) that stay within 1.3× a lone mention on `processes` processes (the
    module's arithmetic; processes beyond the cores add no CPU)."""
    gils = min(processes, os.cpu_count() or 1)
    return int(HEADROOM * lone * gils / cpu_per_turn), HEADROOM * gils / cpu_per_turn


def scaleout(fakes: Fakes, processes: int, n: int, say: Say) -> Result:
    res = Result()
    if shutil.which("redis-server") is None:
        res.add("scale-out", f"{processes} processes on Redis", "not measured: redis-server is not on PATH")
        return res
    with tempfile.TemporaryDirectory(prefix="oilfx-bench-redis-") as tmp:
        redis = RedisServer(Path(tmp))
        redis.start()
        procs: list[BotProcess] = []
        try:
            for _ in range(processes):  # one at a time: BotProcess.start takes the newest Socket Mode connection
                procs.append(bot(fakes, "responses", REDIS_URL=redis.url).start())
            for proc in procs:
                one_turn(fakes, proc)  # warm-up: imports, connections, the shared quote cache
            lone = median([one_turn(fakes, procs[i % processes]) for i in range(3)])
            cpu0, fakes_cpu0, wall0 = sum(p.cpu_seconds() for p in procs), time.process_time(), time.monotonic()
            pending, latencies = burst(fakes, procs, n, timeout=120)
            cpu = sum(p.cpu_seconds() for p in procs) - cpu0
            fakes_cpu, wall = time.process_time() - fakes_cpu0, time.monotonic() - wall0
            acks = [ack_latency(fakes, p) for p in pending]
            time.sleep(1.0)  # a duplicate answer would come shortly after the first
            answers = [answers_in_thread(fakes, p) for p in pending]
        finally:
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.stop()
            redis.stop()
    p95, ack99, per_turn = percentile(latencies, 95), percentile(acks, 99), cpu / n
    once = sum(1 for a in answers if a == 1)
    twice = sum(1 for a in answers if a > 1)
    say(f"  {processes} processes: lone {lone * 1000:,.0f} ms; burst of {n}: p95 {p95 * 1000:,.0f} ms "
        f"({p95 / lone:.2f}×), ack p99 {ack99 * 1000:,.0f} ms; answered once {once}/{n} (twice: {twice}); "
        f"CPU {per_turn * 1000:.1f} ms a turn over all processes")
    label = f"{processes} processes on one Redis, {n} threads at once"
    res.add("scale-out", f"{label}: lone mention (median of 3)", f"{lone * 1000:,.0f} ms")
    res.add("scale-out", f"{label}: p95 ÷ lone", f"{p95 / lone:.2f}× ({p95 * 1000:,.0f} ms)", f"≤ {BURST_TARGET}×",
            p95 / lone <= BURST_TARGET)
    res.add("scale-out", f"{label}: Socket Mode ack p99", f"{ack99 * 1000:,.0f} ms")
    res.add("scale-out", f"{label}: answered exactly once (twice)", f"{once}/{n} ({twice})", f"{n}/{n} (0)",
            once == n)
    res.add("scale-out", f"{label}: bot CPU per turn, summed over the processes", f"{per_turn * 1000:.1f} ms")
    # The fakes (Slack, OpenAI, pages) serve every process from this one Python process: if they use most of a core,
    # the burst's latency is partly theirs, not the bots'.
    res.add("scale-out", f"{label}: the fakes' CPU (this process) during the burst, of its wall time",
            f"{fakes_cpu:.1f} s of {wall:.1f} s ({fakes_cpu / wall:.0%} of a core)")
    for count in sorted({1, processes}):
        threads, rate = fits(lone, per_turn, count)
        res.add("scale-out", f"within 1.3× a lone mention on {count} process(es) ({min(count, os.cpu_count() or 1)} "
                "core(s)), from the CPU per turn: burst / steady rate", f"≤ {threads} threads / ≤ {rate:.1f} a second")
    res.notes.append(
        f"Scale-out: {processes} `python bot.py` (responses engine, default settings, REDIS_URL on one redis-server "
        f"started for the run) on the fake Socket Mode; each answers a warm-up turn; the lone mention is the median "
        f"of 3, one per process in turn; then {n} mentions in new threads delivered back to back, round-robin over "
        "the processes' connections. CPU per turn = user+system CPU of all processes over the burst ÷ threads. "
        "'Within 1.3×' follows from that CPU per turn c and the lone turn L: a burst of B fits when "
        "B × c ≤ 0.3 × L × min(processes, cores); a steady rate r when r ≤ 0.3 × min(processes, cores) ÷ c "
        "(bench/scaleout.py).")
    return res
