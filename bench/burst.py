"""The cold burst: a freshly started `python bot.py` takes N mentions delivered within a few seconds over Socket
Mode. Slack wants every envelope acked within 3 s and redelivers an unacked one only after about a minute, so the
figures are ack latency, acks within 3 s, answers (once each) and Socket Mode reconnects during the burst.

The same run also measures the previous Socket Mode setting (slack_sdk's own ping check at a 1 s interval, via
bench/stock_socket.py) side by side, when asked to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import ROOT, BotProcess, Fakes, Pending, answered_at, bot, mention, percentile

Say = Callable[[str], None]
ACK_DEADLINE = 3.0  # Slack's: an envelope not acked in 3 s is retried later (~1 min for the first retry)


@dataclass
class BurstFigures:
    sent: int
    ack_latencies: list[float]     # of the envelopes acked at all
    acked_in_time: int
    answered: int
    answered_twice: int
    reconnects: int
    last_answer: float             # seconds from the first delivery to the last answer seen

    def line(self) -> str:
        acks = self.ack_latencies or [float("nan")]
        return (f"ack p50 {percentile(acks, 50) * 1000:,.0f} ms p99 {percentile(acks, 99) * 1000:,.0f} ms "
                f"max {max(acks) * 1000:,.0f} ms; acked within 3 s {self.acked_in_time}/{self.sent}; "
                f"answered {self.answered}/{self.sent} (twice: {self.answered_twice}); "
                f"reconnects {self.reconnects}; last answer after {self.last_answer:.1f} s")


def stock_socket_bot(fakes: Fakes) -> BotProcess:
    """`python bot.py` with slack_sdk's own stale-connection check at a 1 s ping (the setting before issue 21)."""
    return BotProcess(fakes, [str(ROOT / "bench" / "stock_socket.py")], {}, "stock-socket")


def answers_in_thread(fakes: Fakes, p: Pending) -> int:
    """Messages in the thread that show the final answer (2+ would be an answer posted twice)."""
    from bench.harness import _answer_time

    return sum(1 for m in fakes.slack.posted(p.channel, p.thread_ts) if _answer_time(m) is not None)


def cold_burst(fakes: Fakes, proc: BotProcess, n: int, seconds: float, settle: float) -> BurstFigures:
    """Deliver n mentions evenly over `seconds` to a just-connected bot; wait up to `settle` s for the answers."""
    slack = fakes.slack
    first_conn = proc.connection
    start = time.monotonic()
    pending: list[Pending] = []
    for i in range(n):
        delay = start + i * seconds / n - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        # Round-robin over the bot's open connections, as Slack does; after a reconnect the new one gets them.
        conns = [c for c in slack.connections() if c >= first_conn] or [first_conn]
        proc.connection = conns[-1]
        pending.append(mention(fakes, proc))
    sent_at = slack.envelopes[pending[0].envelope_id].sent_at
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and not all(answered_at(fakes, p) for p in pending):
        time.sleep(0.25)
    time.sleep(1.0)  # a duplicate answer would come shortly after the first
    acks = [slack.acks[p.envelope_id].latency for p in pending if p.envelope_id in slack.acks]
    times = [t for p in pending if (t := answered_at(fakes, p)) is not None]
    reconnects = sum(1 for _, c, what in list(slack.connection_log) if what == "open" and c > first_conn)
    return BurstFigures(
        sent=n, ack_latencies=acks, acked_in_time=sum(1 for a in acks if a <= ACK_DEADLINE),
        answered=len(times), answered_twice=sum(1 for p in pending if answers_in_thread(fakes, p) > 1),
        reconnects=reconnects, last_answer=max(times, default=sent_at) - sent_at)


def burst_section(fakes: Fakes, n: int, seconds: float, compare: bool, say: Say):  # type: ignore[no-untyped-def]
    from bench.sections import Result

    res = Result()
    variants: list[tuple[str, Callable[[], BotProcess]]] = [("bot.py", lambda: bot(fakes, "responses"))]
    if compare:
        variants.append(("slack_sdk's 1 s ping check (before)", lambda: stock_socket_bot(fakes)))
    figures: dict[str, BurstFigures] = {}
    for name, make in variants:
        with make() as proc:
            f = cold_burst(fakes, proc, n, seconds, settle=max(60.0, n * 0.2))
        figures[name] = f
        say(f"  {name}: {f.line()}")
        acks = f.ack_latencies or [float("nan")]
        label = f"{name}: {n} mentions in {seconds:g} s to a cold process"
        res.add("burst", f"{label}: ack p50 / p99 / max",
                f"{percentile(acks, 50) * 1000:,.0f} / {percentile(acks, 99) * 1000:,.0f} / "
                f"{max(acks) * 1000:,.0f} ms")
        res.add("burst", f"{label}: acked within 3 s", f"{f.acked_in_time}/{n}", f"{n}/{n}", f.acked_in_time == n)
        res.add("burst", f"{label}: answered once (twice)", f"{f.answered - f.answered_twice}/{n} "
                f"({f.answered_twice})", f"{n}/{n} (0)", f.answered == n and f.answered_twice == 0)
        res.add("burst", f"{label}: Socket Mode reconnects; last answer after", f"{f.reconnects}; "
                f"{f.last_answer:.1f} s")
    res.notes.append(f"Burst: {n} app_mentions, each in a new thread, sent evenly over {seconds:g} s right after "
                     "`python bot.py` (responses engine, default settings) opened its Socket Mode connection; ack "
                     "latency = envelope sent -> ack received (fake Slack's clock); 'before' runs the same bot "
                     "with slack_sdk's stock stale check at a 1 s ping interval (bench/stock_socket.py).")
    return res
