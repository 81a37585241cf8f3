"""Benchmark oilfx against the seed's loop and Slack's agent template loop on loopback fakes; print a table (issue
19's targets last, met or not) and write bench/RESULTS.md.

    python bench/run.py                                  # everything (~12 min on 2 cores)
    python bench/run.py --quick                          # smaller samples (~3 min)
    python bench/run.py --only cache,concurrency         # some sections
    python bench/run.py --only burst                     # 300 mentions in 2 s to a cold bot, before and after
    python bench/run.py --only peers                     # oilfx, the template peer and the seed loop, as ratios
    python bench/run.py --only scaleout                  # 3 bot.py on one redis-server take 300 threads at once
    python bench/run.py --model-ms 400 --page-ms 250 --slack-ms 30 --turns 15

All traffic stays on 127.0.0.1: the fakes from tests/fakes/ run in this process, the bots as subprocesses.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `oilfx` and `tests` importable
    sys.path.insert(0, str(ROOT))

from bench.burst import burst_section  # noqa: E402
from bench.harness import Fakes, Latencies  # noqa: E402
from bench.peers import peers  # noqa: E402
from bench.scaleout import scaleout  # noqa: E402
from bench.sections import Result, Row, cache, concurrency, memory, turn_overhead  # noqa: E402
from bench.targets import summary  # noqa: E402

SECTIONS = ("turn", "concurrency", "cache", "memory", "burst", "peers", "scaleout", "profile")
# --quick leaves out the template peer with a shared OpenAI client (bench/peers.py) to stay near 3 minutes.
QUICK_PEERS = ["oilfx", "template peer", "seed loop"]
ENGINES = ("responses", "chat", "assistants", "responses-nostream")  # see bench.harness.VARIANTS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-ms", type=float, default=400, help="latency of one model round (default 400)")
    p.add_argument("--page-ms", type=float, default=250, help="latency of one market page (default 250)")
    p.add_argument("--slack-ms", type=float, default=30, help="latency of one Slack Web API call (default 30)")
    p.add_argument("--turns", type=int, help="sequential turns per engine and cache state (default 15; quick 4)")
    p.add_argument("--baseline-turns", type=int, help="turns of the seed baseline, ~7 s each (default 4; quick 1)")
    p.add_argument("--threads", type=int, help="mentions delivered at once (default 100; quick 30)")
    p.add_argument("--conversations", type=int,
                   help="memory: RSS after this many conversations and after twice as many (default 1000; quick 200)")
    p.add_argument("--burst", type=int, default=300,
                   help="burst: mentions sent to a cold bot within --burst-seconds (default 300)")
    p.add_argument("--burst-seconds", type=float, default=2.0, help="burst: over how many seconds (default 2)")
    p.add_argument("--burst-compare", action=argparse.BooleanOptionalAction, default=None,
                   help="burst: also run the Socket Mode client as before (slack_sdk's own, 1 s ping check) for "
                   "comparison (default: on, off with --quick)")
    p.add_argument("--peer-threads", type=int,
                   help="peers: mentions delivered at once to oilfx and each peer (default 100; quick 10)")
    p.add_argument("--peer-turns", type=int, help="peers: lone turns per process (default 3; quick 1)")
    p.add_argument("--scaleout-processes", type=int, default=3, help="scaleout: bot processes on Redis (default 3)")
    p.add_argument("--scaleout-burst", type=int,
                   help="scaleout: mentions delivered at once over the processes (default 300; quick 150)")
    p.add_argument("--engines", default=",".join(ENGINES),
                   help="bot variants for turn overhead and concurrency (default: the three engines, and responses "
                   "with OILFX_STREAM=false)")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {', '.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="small samples, cold cache only (~3 min)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md", help="where to write the results")
    args = p.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [s for s in args.only if s not in SECTIONS] + [e for e in args.engines if e not in ENGINES]
    if bad:
        p.error(f"unknown section/engine: {', '.join(bad)}")
    quick = args.quick
    args.turns = args.turns or (4 if quick else 15)
    args.baseline_turns = (1 if quick else 4) if args.baseline_turns is None else args.baseline_turns
    args.threads = args.threads or (30 if quick else 100)
    args.conversations = args.conversations or (200 if quick else 1000)
    args.burst_compare = not quick if args.burst_compare is None else args.burst_compare
    args.peer_threads = args.peer_threads or (10 if quick else 100)
    args.peer_turns = args.peer_turns or (1 if quick else 3)
    args.scaleout_burst = args.scaleout_burst or (150 if quick else 300)
    return args


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "CPU": cpu, "python": platform.python_version(),
            "OS": platform.platform(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "code": revision()}


def revision() -> str:
    """The commit measured, and whether the bot's code had uncommitted changes (others work in this tree)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "oilfx", "bot.py"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"commit {head or '?'}" + (" + uncommitted changes in oilfx/ or bot.py" if dirty else "")


def table(rows: list[Row]) -> list[str]:
    def met(r: Row) -> str:
        return "" if r.met is None else ("yes" if r.met else "**NO**")

    out = ["| section | measure | value | target | met |", "|---|---|---|---|---|"]
    out += [f"| {r.section} | {r.measure} | {r.value} | {r.target} | {met(r)} |" for r in rows]
    return out


def _cpu_seconds() -> float:
    """CPU used by this process and its finished children (the bot processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def load_line(load_before: tuple[float, ...], busy: float, ours: float, elapsed: float) -> str:
    one, five, _ = os.getloadavg()
    ours_pct = ours / (elapsed * (os.cpu_count() or 1)) * 100
    return (f"load average 1/5 min {load_before[0]:.2f}/{load_before[1]:.2f} before, {one:.2f}/{five:.2f} after; "
            f"all CPUs {busy:.0f}% busy during the run, {ours_pct:.0f}% of them this benchmark and its bots "
            f"(other work on the machine: {max(0.0, busy - ours_pct):.0f}%; when that is large, latency figures "
            "are pessimistic)")


def write_results(path: Path, args: argparse.Namespace, result: Result, elapsed: float, load: str,
                  extra: list[str] | None = None) -> None:
    lines = ["# oilfx benchmark results", "",
             "Written by `python bench/run.py` " + ("--quick " if args.quick else "") + f"in {elapsed:.0f} s. "
             "Every compared figure is measured in this run on loopback fakes (tests/fakes/).", "", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine().items()]
    lines += [f"- {load}"]
    lines += ["", "## Settings", "",
              f"- injected latency: model round {args.model_ms:g} ms, market page {args.page_ms:g} ms, "
              f"Slack Web API call {args.slack_ms:g} ms",
              f"- sections: {', '.join(args.only)}; engines: {', '.join(args.engines)}",
              f"- turns per engine and cache state: {args.turns}; seed baseline turns: {args.baseline_turns}; "
              f"parallel threads: {args.threads}; conversations: {args.conversations:,} then "
              f"{2 * args.conversations:,}",
              f"- peers: {args.peer_turns} lone turn(s) and a burst of {args.peer_threads} per process; scale-out: "
              f"{args.scaleout_processes} processes, a burst of {args.scaleout_burst}",
              "", "## Figures", ""]
    lines += table(result.rows)
    if result.notes:
        lines += ["", "## How each figure is taken", ""] + [f"- {n}" for n in result.notes]
    if extra:   # e.g. the profile (bench/cpu_profile.py), markdown of its own
        lines += ["", *extra]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    def say(text: str) -> None:
        print(text, flush=True)

    started = time.perf_counter()
    load_before, cpu_before = os.getloadavg(), _cpu_seconds()
    psutil.cpu_percent(interval=None)
    lat = Latencies(args.model_ms, args.page_ms, args.slack_ms)
    fakes = Fakes(lat)
    result = Result()
    extra: list[str] = []
    try:
        for section in SECTIONS:
            if section not in args.only:
                continue
            say(f"== {section}")
            if section == "turn":
                part = turn_overhead(fakes, lat, args.engines, args.turns, args.baseline_turns, not args.quick, say)
            elif section == "concurrency":
                part = Result()
                for variant in [v for v in ("responses", "responses-nostream") if v in args.engines] or ["responses"]:
                    sub = concurrency(fakes, variant, args.threads, 1 if args.quick else 2, say)
                    part.rows += sub.rows
                    part.notes += sub.notes
            elif section == "cache":
                part = cache(fakes, 200 if args.quick else 2000, 50, say)
            elif section == "burst":
                part = burst_section(fakes, args.burst, args.burst_seconds, args.burst_compare, say)
            elif section == "peers":
                part = peers(fakes, args.peer_turns, args.peer_threads, say, QUICK_PEERS if args.quick else None)
            elif section == "scaleout":
                part = scaleout(fakes, args.scaleout_processes, args.scaleout_burst, say)
            elif section == "profile":
                from bench.cpu_profile import profile_markdown

                part, extra = Result(), extra + profile_markdown(fakes, turns=2 if args.quick else 3, say=say)
            else:
                part = memory(fakes, "responses", args.conversations, 2 * args.conversations,
                              min(100, args.threads), say)
            result.rows += part.rows
            result.notes += part.notes
    finally:
        fakes.stop()
    result.rows += summary(result.rows, args.threads)
    elapsed = time.perf_counter() - started
    load = load_line(load_before, psutil.cpu_percent(interval=None), _cpu_seconds() - cpu_before, elapsed)
    print()
    print("\n".join(table(result.rows)))
    print(f"\n{load}")
    write_results(args.out, args, result, elapsed, load, extra)
    print(f"\nwritten {args.out} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
