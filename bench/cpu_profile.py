"""Where a turn's CPU goes: profile one streamed and one non-streamed turn of a real `python bot.py` process.

    python bench/cpu_profile.py                 # both paths, a few turns each (< 1 min); prints markdown
    python bench/cpu_profile.py --turns 5 --top 25

Each bot runs under yappi (CPU clock, every thread: the work of a turn is spread over Bolt's listener pool, the
Socket Mode reader and our own workers, which cProfile, one thread only, would miss) against the loopback fakes of
bench/harness.py. The profiler slows the code it watches, so the milliseconds in the grouped table are the
unprofiled CPU per turn (the same bot variant run without yappi, in the same run) split in the profile's
proportions.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `oilfx` and `tests` importable
    sys.path.insert(0, str(ROOT))

# Groups, first match wins: a substring of the function's file path (or of a builtin's module and name).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SDK typing / pydantic", ("/pydantic/", "/pydantic_core/", "/openai/_models.py", "/openai/types/",
                               "/openai/_compat.py", "pydantic_core.", "typing_extensions", "/typing.py")),
    ("OpenAI client / SSE", ("/openai/",)),
    ("httpx", ("/httpx2/", "/httpcore2/", "/h11/", "/anyio/", "/certifi/", "/idna/")),
    ("Bolt dispatch", ("/slack_bolt/",)),
    ("slack_sdk Socket Mode", ("/slack_sdk/socket_mode/",)),
    ("slack_sdk Web API", ("/slack_sdk/", "/urllib/", "/http/client.py", "/email/")),
    ("JSON", ("/json/", "orjson", "_json.")),
    ("logging", ("/logging/",)),
    ("store (sqlite/redis)", ("/oilfx/store/", "sqlite3", "/redis/")),
    ("our code (oilfx)", ("/oilfx/", "/bot.py")),
    ("threads / queues", ("/threading.py", "/queue.py", "/concurrent/", "_thread.", "<built-in method _thread")),
    ("socket I/O", ("/socket.py", "/selectors.py", "/ssl.py", "_socket.", "select.", "_ssl.")),
)
OTHER = "other (stdlib, interpreter)"
PLAIN_TURNS = 8


def group_of(where: str) -> str:
    return next((name for name, marks in GROUPS if any(m in where for m in marks)), OTHER)


# ------------------------------------------------------------------------------------------- child (the bot)

def child(out: Path) -> int:
    """Run bot.py's main() under yappi; SIGUSR1 clears the statistics, SIGUSR2 writes them to `out`."""
    import yappi

    def clear(*_: object) -> None:
        yappi.clear_stats()

    def dump(*_: object) -> None:
        rows = []
        for s in yappi.get_func_stats():
            rows.append(f"{s.tsub:.9f}\t{s.ttot:.9f}\t{s.ncall}\t{s.module}:{s.lineno}\t{s.name}")
        tmp = out.with_suffix(".tmp")
        tmp.write_text("\n".join(rows), encoding="utf-8")
        tmp.replace(out)

    signal.signal(signal.SIGUSR1, clear)
    signal.signal(signal.SIGUSR2, dump)
    yappi.set_clock_type("cpu")
    # Builtins off: a C function's time (pydantic-core validation, json's scanner, socket calls) counts as its
    # Python caller's own time, so it lands in the caller's group instead of an anonymous "builtins" row.
    yappi.start(builtins=False, profile_threads=True)
    sys.argv = ["bot.py"]
    import bot

    return bot.main()


# ------------------------------------------------------------------------------------------- parent

@dataclass(frozen=True)
class FuncStat:
    own: float      # seconds of CPU in the function itself
    total: float    # including what it called
    calls: int
    where: str      # file:line
    name: str


@dataclass
class Profile:
    variant: str
    turns: int
    cpu_ms: float               # unprofiled CPU per turn (ms)
    profiled_cpu_ms: float      # the same under yappi
    stats: list[FuncStat]

    def groups(self) -> dict[str, float]:
        sums: dict[str, float] = defaultdict(float)
        for s in self.stats:
            sums[group_of(f"{s.where} {s.name}")] += s.own
        return dict(sums)


def _read(path: Path) -> list[FuncStat]:
    stats = []
    for line in path.read_text(encoding="utf-8").splitlines():
        own, total, calls, where, name = line.split("\t", 4)
        stats.append(FuncStat(float(own), float(total), int(calls), where, name))
    return stats


def _cpu_per_turn(fakes, proc, turns: int) -> float:  # type: ignore[no-untyped-def]
    from bench.harness import one_turn

    one_turn(fakes, proc)   # warm-up: imports, connections, the quote cache
    cpu0 = proc.cpu_seconds()
    for _ in range(turns):
        one_turn(fakes, proc)
    return (proc.cpu_seconds() - cpu0) / turns * 1000


def profile_variant(fakes, variant: str, turns: int) -> Profile:  # type: ignore[no-untyped-def]
    """`turns` turns of `variant` (bench.harness.VARIANTS) plain, then under yappi, in fresh bot processes."""
    from bench.harness import VARIANTS, BotProcess, bot, one_turn

    with bot(fakes, variant) as proc:
        # psutil's CPU times tick at 10 ms: enough turns that a tick is a small part of the figure
        plain = _cpu_per_turn(fakes, proc, max(turns, PLAIN_TURNS))
    engine, extra = VARIANTS[variant]
    out = Path(f"/tmp/oilfx-profile-{os.getpid()}-{variant}.tsv")
    argv = [str(ROOT / "bench" / "cpu_profile.py"), "--child", str(out)]
    with BotProcess(fakes, argv, {"OILFX_ENGINE": engine, **extra}, f"profile-{variant}") as proc:
        one_turn(fakes, proc)
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        cpu0 = proc.cpu_seconds()
        for _ in range(turns):
            one_turn(fakes, proc)
        profiled = (proc.cpu_seconds() - cpu0) / turns * 1000
        proc.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        stats = _read(out)
        out.unlink()
    return Profile(variant, turns, plain, profiled, stats)


def _short(where: str) -> str:
    for mark in ("site-packages/", "/oilfx/", "/lib/python3"):
        if mark in where:
            tail = where.rpartition(mark)[2]
            return ("oilfx/" if mark == "/oilfx/" else "") + tail
    return where


def markdown(profiles: list[Profile], top: int) -> list[str]:
    lines = ["## Profile: where a turn's CPU goes", "",
             "One bot process per path under yappi (CPU clock, all threads), after one warm-up turn; milliseconds "
             "are the unprofiled CPU per turn of the same path, measured in this run, split in the profile's "
             "proportions (own time of each function, grouped by package).", ""]
    names = sorted({g for p in profiles for g in p.groups()}, key=lambda g: -max(
        p.groups().get(g, 0) / max(sum(p.groups().values()), 1e-9) for p in profiles))
    lines += ["| group | " + " | ".join(f"{p.variant} ms/turn (share)" for p in profiles) + " |",
              "|---|" + "---|" * len(profiles)]
    for g in names:
        cells = []
        for p in profiles:
            share = p.groups().get(g, 0) / max(sum(p.groups().values()), 1e-9)
            cells.append(f"{share * p.cpu_ms:.1f} ({share:.0%})")
        lines.append(f"| {g} | " + " | ".join(cells) + " |")
    lines.append("| **bot CPU per turn** (unprofiled; under yappi) | " + " | ".join(
        f"**{p.cpu_ms:.1f}**; {p.profiled_cpu_ms:.1f}" for p in profiles) + " |")
    for p in profiles:
        whole = max(sum(s.own for s in p.stats), 1e-9)
        lines += ["", f"Top {top} functions by own CPU, {p.variant} ({p.turns} turns):", "",
                  "| own ms/turn | share | calls/turn | function | where | group |", "|---|---|---|---|---|---|"]
        for s in sorted(p.stats, key=lambda s: -s.own)[:top]:
            share = s.own / whole
            lines.append(f"| {share * p.cpu_ms:.2f} | {share:.1%} | {s.calls / p.turns:,.0f} | `{s.name}` | "
                         f"{_short(s.where)} | {group_of(f'{s.where} {s.name}')} |")
    return lines


def profile_markdown(fakes, turns: int = 3, top: int = 15,  # type: ignore[no-untyped-def]
                     say: Callable[[str], None] = print) -> list[str]:
    """For bench/run.py: the profile of a streamed and a non-streamed turn, as markdown lines."""
    profiles = []
    for variant in ("responses", "responses-nostream"):
        say(f"profiling {variant}: {turns} turn(s) plain, then {turns} under yappi")
        p = profile_variant(fakes, variant, turns)
        say(f"  {variant}: {p.cpu_ms:.1f} ms CPU a turn ({p.profiled_cpu_ms:.1f} ms under yappi)")
        profiles.append(p)
    return markdown(profiles, top)


def cpu_against(fakes, rev: str, turns: int, rounds: int = 2,  # type: ignore[no-untyped-def]
                say: Callable[[str], None] = print) -> list[str]:
    """Bot CPU per turn of commit `rev` and of this tree, both paths, in one run: bots alternate (base, this, base,
    this) so that load on the machine falls on both alike. Markdown lines."""
    from bench.harness import VARIANTS, BotProcess

    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="oilfx-base-") as tmp:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        trees = {f"{rev} (before)": Path(tmp), "this tree": ROOT}
        for _ in range(rounds):
            for variant in ("responses", "responses-nostream"):
                engine, extra = VARIANTS[variant]
                for label, root in trees.items():
                    env = {"OILFX_ENGINE": engine, **extra, "PYTHONPATH": str(root)}
                    with BotProcess(fakes, [str(root / "bot.py")], env, f"{variant}-{label[:4]}") as proc:
                        cpu[(label, variant)].append(_cpu_per_turn(fakes, proc, turns))
                    say(f"  {variant}, {label}: {cpu[(label, variant)][-1]:.1f} ms CPU a turn")
    before, after = trees
    lines = ["| bot CPU per turn (mean of runs) | " + " | ".join(trees) + " | ratio |", "|---|---|---|---|"]
    for variant in ("responses", "responses-nostream"):
        b, a = (statistics.mean(cpu[(label, variant)]) for label in (before, after))
        lines.append(f"| {variant} ({rounds} bots × {turns} turns each) | {b:.1f} ms | {a:.1f} ms | {a / b:.2f}× |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python bench/cpu_profile.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--turns", type=int, default=3, help="profiled turns per path (default 3)")
    p.add_argument("--top", type=int, default=15, help="functions listed per path (default 15)")
    p.add_argument("--model-ms", type=float, default=400)
    p.add_argument("--page-ms", type=float, default=250)
    p.add_argument("--slack-ms", type=float, default=30)
    p.add_argument("--against", metavar="REV", help="instead: bot CPU per turn of commit REV beside this tree's")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child)
    from bench.harness import Fakes, Latencies

    fakes = Fakes(Latencies(args.model_ms, args.page_ms, args.slack_ms))
    say = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    try:
        lines = (cpu_against(fakes, args.against, max(args.turns, PLAIN_TURNS), say=say) if args.against
                 else profile_markdown(fakes, args.turns, args.top, say=say))
    finally:
        fakes.stop()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
