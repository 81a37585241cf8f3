"""Prometheus metrics of one bot process, served as text at /metrics: turns, model rounds and tokens, tool calls,
market source fetches and Slack API errors. Each call site is one line (`METRICS.tool_call(...)`).

Shared layer (like config and logs): every layer counts here, and this module imports nothing of oilfx.

One registry per process, our own `CollectorRegistry` (not prometheus_client's global default, so importing oilfx
adds nothing to another program's /metrics). Not one per app: the counters are bumped deep in the market, tools
and engine layers, which the CLI builds without any app, and a process is what Prometheus scrapes. The families
are created once, at import, so two bots in one process (tests) share the counts and never register a name twice;
tests read the difference a turn made.

Labels are bounded: kinds, outcomes, engine, tool, source and Slack method names come from our code, Slack error
codes are clipped to Slack's `snake_case` shape; no user text, ids, tokens or answers ever become a label.
Cheap by design: a few increments per turn, none per streamed delta.
"""

from __future__ import annotations

import re
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Histogram

# Seconds: a cached answer takes ~1 s, a cold one a few, a slow model tens.
TURN_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0, 120.0)
TURN_KINDS = frozenset({"mention", "dm", "command"})
_LABEL = re.compile(r"[A-Za-z0-9_.]{1,64}")


class TurnOutcome(StrEnum):
    ANSWERED = "answered"          # the answer reached Slack
    ENGINE_FAILED = "failed"       # the model/API failed; the user was told why
    REJECTED = "rejected"          # not sent to the model (question too long)
    UNDELIVERED = "undelivered"    # answered, but Slack refused every way of showing it
    BUSY = "busy"                  # the thread's earlier turns did not finish in time
    ERROR = "error"                # our bug or the store: the user got "something went wrong"


def bounded(value: str, allowed: frozenset[str] | None = None, other: str = "other") -> str:
    """`value` as a label value: one of `allowed` (when given) and a short plain word, else `other`."""
    if (allowed is not None and value not in allowed) or not _LABEL.fullmatch(value):
        return other
    return value


class Metrics:
    """The metric families, on `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turns = Counter("oilfx_turns", "Turns (questions) by kind and outcome.", ["kind", "outcome"], registry=r)
        self.turn_seconds = Histogram("oilfx_turn_duration_seconds", "Turn latency, from start to the answer shown.",
                                      ["kind"], buckets=TURN_BUCKETS, registry=r)
        self.model_rounds = Counter("oilfx_model_rounds", "Model rounds (API requests for one step of a turn).",
                                    ["engine"], registry=r)
        self.model_tokens = Counter("oilfx_model_tokens", "Tokens by direction, from the API's usage fields.",
                                    ["engine", "direction"], registry=r)
        self.tool_calls = Counter("oilfx_tool_calls", "Tool calls the model made, by tool.", ["tool"], registry=r)
        self.tool_failures = Counter("oilfx_tool_failures", "Tool calls that failed, by tool and kind "
                                     "(call: the model's call was wrong; data: the market data failed).",
                                     ["tool", "kind"], registry=r)
        self.source_fetches = Counter("oilfx_source_fetches", "Market source fetches (cache misses), by source.",
                                      ["quantity", "source"], registry=r)
        self.source_failures = Counter("oilfx_source_failures", "Market source fetches that failed, by source.",
                                       ["quantity", "source"], registry=r)
        self.slack_api_errors = Counter("oilfx_slack_api_errors", "Slack Web API responses that were errors, by "
                                        "method and Slack's error code (http_5xx, or the exception's name).",
                                        ["method", "error"], registry=r)

    # --- one call per site ------------------------------------------------------------------------------------

    def turn(self, kind: str, outcome: TurnOutcome, seconds: float | None = None) -> None:
        kind = bounded(kind, TURN_KINDS)
        self.turns.labels(kind, outcome.value).inc()
        if seconds is not None:
            self.turn_seconds.labels(kind).observe(seconds)

    def model_round(self, engine: str, input_tokens: int | None, output_tokens: int | None) -> None:
        self.model_rounds.labels(bounded(engine)).inc()
        self.tokens(engine, input_tokens, output_tokens)

    def tokens(self, engine: str, input_tokens: int | None, output_tokens: int | None) -> None:
        """Usage known only later (Assistants run steps) is counted here, without a round."""
        if input_tokens:
            self.model_tokens.labels(bounded(engine), "input").inc(input_tokens)
        if output_tokens:
            self.model_tokens.labels(bounded(engine), "output").inc(output_tokens)

    def tool_call(self, tool: str, failure: str | None) -> None:
        """`tool` must be a registered name (the model may make one up: the registry passes "unknown")."""
        self.tool_calls.labels(bounded(tool)).inc()
        if failure is not None:
            self.tool_failures.labels(bounded(tool), bounded(failure)).inc()

    def source_fetch(self, quantity: str, source: str, failed: bool) -> None:
        self.source_fetches.labels(bounded(quantity), bounded(source)).inc()
        if failed:
            self.source_failures.labels(bounded(quantity), bounded(source)).inc()

    def slack_api_error(self, method: str, error: str) -> None:
        self.slack_api_errors.labels(bounded(method), bounded(error)).inc()


METRICS = Metrics()
