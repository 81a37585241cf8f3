"""oilfx beside its peers, in one run on the same fakes: Slack's agent template loop (bench/baseline_template.py, as
written and with one shared OpenAI client) and the seed's loop (bench/baseline_seed.py).

Each process answers a discarded warm-up turn, then `turns` sequential lone mentions, then `threads` mentions in
new threads delivered back to back. Figures per process: lone turn p50, the burst's p95, and the process's CPU per
turn over the burst; then oilfx's figures as ratios of each peer's (below 1× = oilfx is faster or cheaper).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import (
    BotProcess,
    Fakes,
    ack_latency,
    bot,
    burst,
    median,
    one_turn,
    percentile,
    seed_baseline,
    template_baseline,
)
from bench.sections import Result

Say = Callable[[str], None]
OILFX = "oilfx"


@dataclass
class PeerFigures:
    name: str
    lone: list[float]          # seconds, sequential turns
    burst: list[float]         # seconds, the burst's turns
    acks: list[float]          # the burst's Socket Mode ack latencies
    cpu_per_turn: float        # seconds of the process's CPU per turn, over the burst

    @property
    def lone_p50(self) -> float:
        return median(self.lone)

    @property
    def burst_p95(self) -> float:
        return percentile(self.burst, 95)


def contenders(fakes: Fakes) -> list[tuple[str, str, Callable[[], BotProcess]]]:
    """(name, what it is, how to start it); oilfx first."""
    return [
        (OILFX, "`python bot.py`, responses engine, default settings (streamed, quote cache)",
         lambda: bot(fakes, "responses")),
        ("template peer", "Slack's agent template loop as written (a new OpenAI client per model round)",
         lambda: template_baseline(fakes)),
        ("template peer, shared client", "the same loop with one OpenAI client per process",
         lambda: template_baseline(fakes, shared_client=True)),
        ("seed loop", "the seed's Assistants loop (2 s polling)", lambda: seed_baseline(fakes)),
    ]


def measure(fakes: Fakes, name: str, proc: BotProcess, turns: int, threads: int, timeout: float) -> PeerFigures:
    one_turn(fakes, proc, timeout)  # warm-up: imports, connections, the seed's assistant, oilfx's quote cache
    lone = [one_turn(fakes, proc, timeout) for _ in range(turns)]
    cpu0 = proc.cpu_seconds()
    pending, latencies = burst(fakes, [proc], threads, timeout)
    cpu = proc.cpu_seconds() - cpu0
    return PeerFigures(name, lone, latencies, [ack_latency(fakes, p) for p in pending], cpu / threads)


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}×" if theirs > 0 else "n/a"


def peers(fakes: Fakes, turns: int, threads: int, say: Say, only: list[str] | None = None) -> Result:
    res = Result()
    figures: dict[str, PeerFigures] = {}
    # Bolt's default listener pool runs 5 turns at a time: a burst of the seed's ~7 s turns takes threads/5 × 7 s.
    timeout = 60.0 + threads * 1.6
    for name, what, make in contenders(fakes):
        if only is not None and name not in only:
            continue
        with make() as proc:
            f = figures[name] = measure(fakes, name, proc, turns, threads, timeout)
        cpu, acks = f.cpu_per_turn, f.acks
        say(f"  {name}: lone p50 {f.lone_p50 * 1000:,.0f} ms; burst of {threads}: p95 {f.burst_p95 * 1000:,.0f} ms "
            f"({f.burst_p95 / f.lone_p50:.2f}× its lone), ack p99 {percentile(acks, 99) * 1000:,.0f} ms; "
            f"CPU {cpu * 1000:.1f} ms a turn")
        res.add("peers", f"{name}: lone turn p50 (n={turns}); burst of {threads}: p95 (÷ its lone); CPU per turn",
                f"{f.lone_p50 * 1000:,.0f} ms; {f.burst_p95 * 1000:,.0f} ms ({f.burst_p95 / f.lone_p50:.2f}×); "
                f"{cpu * 1000:.1f} ms")
        res.notes.append(f"Peers, {name}: {what}.")
    ours = figures.get(OILFX)
    for name, theirs in figures.items():
        if ours is None or name == OILFX:
            continue
        res.add("peers", f"oilfx ÷ {name}: turn latency p50 / burst p95 ({threads} threads) / CPU per turn",
                f"{ratio(ours.lone_p50, theirs.lone_p50)} / {ratio(ours.burst_p95, theirs.burst_p95)} / "
                f"{ratio(ours.cpu_per_turn, theirs.cpu_per_turn)}")
    res.notes.append(
        f"Peers: each process answers a warm-up turn, then {turns} lone mention(s) one after another, then {threads} "
        "mentions in new threads delivered back to back; CPU per turn = the process's user+system CPU over the burst "
        "÷ threads. The peers fetch their pages on every tool call (no cache; 4 page requests a turn) and run their "
        "tools one after another, so their turns are longer by design; Bolt's default listener pool (5 threads) "
        "runs 5 of their turns at a time. Ratios are oilfx's figure ÷ the peer's, all from this run.")
    return res
