"""How each setting's text becomes a value: booleans, source lists, bounded numbers (RANGES), URLs. Every
failure is a ConfigError that names the variable, what it expects and what it got (a URL without its password).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MIN_OUTPUT_TOKENS = 16   # the Responses API refuses max_output_tokens below 16


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"expected true/false, got {value!r}")


# Names that were once valid: the error says what replaced them instead of only listing the choices.
_RETIRED_SOURCES = {"knoc": "KNOC's home page shows only pump prices now; Opinet (KNOC's own site) gives crude: "
                            "use opinet"}


def sources(value: str, allowed: tuple[str, ...], var: str) -> tuple[str, ...]:
    names = tuple(n.strip().lower() for n in value.split(",") if n.strip())
    retired = [n for n in names if n in _RETIRED_SOURCES and n not in allowed]
    if retired:
        raise ConfigError(f"{var}: {retired[0]} is no longer a source ({_RETIRED_SOURCES[retired[0]]})")
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        bad = ", ".join(unknown) or "(empty)"
        raise ConfigError(f"{var}: unknown source(s) {bad}; choose from {', '.join(allowed)}")
    return names


@dataclass(frozen=True)
class Bounds:
    """The values a numeric setting may take. Every value must be finite (`inf`, `nan` are refused)."""

    low: float                # smallest value allowed
    high: float               # largest value allowed
    above_low: bool = False   # `low` itself is refused too (a timeout of 0 s fails every call)
    why: str = ""             # said with the range: why the bounds are what they are


# By variable. A new numeric setting goes in load_settings' `numbers` and its bounds here; one not listed
# must only be finite and not negative. Floats are seconds (the messages say so).
RANGES: dict[str, Bounds] = {
    "PORT": Bounds(1, 65535),
    "OILFX_HEALTH_PORT": Bounds(1, 65535),
    "OILFX_CACHE_TTL": Bounds(0, 86400, why="0: never reuse"),
    "OILFX_HISTORY_TTL": Bounds(0, 7 * 86400, why="0: never reuse"),
    "OILFX_LOCALE_TTL": Bounds(0, 7 * 86400, why="0: ask Slack every time"),
    "OILFX_HTTP_CONNECT_TIMEOUT": Bounds(0, 300, above_low=True),
    "OILFX_HTTP_READ_TIMEOUT": Bounds(0, 300, above_low=True),
    "OILFX_OPENAI_TIMEOUT": Bounds(0, 3600, above_low=True),
    "OILFX_OPENAI_MAX_RETRIES": Bounds(0, 10),
    "OILFX_MAX_TOOL_ROUNDS": Bounds(1, 50),
    "OILFX_MAX_OUTPUT_TOKENS": Bounds(MIN_OUTPUT_TOKENS, 1_000_000, why=f"{MIN_OUTPUT_TOKENS} is the API's minimum"),
    # Both are renewed every third of their length by a live process: below 1 s a busy process loses its own
    # locks and events (0 ran one event four times), and a killed one holds them for the whole length.
    "OILFX_LOCK_TTL": Bounds(1, 3600, why="renewed every third of it"),
    "OILFX_EVENT_LEASE": Bounds(1, 3600, why="renewed every third of it"),
    "OILFX_SLACK_TIMEOUT": Bounds(0.5, 300),
    "OILFX_MAX_QUESTION_CHARS": Bounds(1, 1_000_000),
    "OILFX_MAX_ALERTS": Bounds(1, 1000),
    "OILFX_ALERT_INTERVAL": Bounds(0.5, 86400, why="fresh quotes are fetched each time"),
    "OILFX_ALERT_CLAIM_TTL": Bounds(1, 3600, why="longer than a post takes"),
}


def _amount(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:g}"


def number(value: str, var: str, kind: type = float) -> float | int:
    bounds = RANGES.get(var, Bounds(0, math.inf))
    what = "a whole number" if kind is int else "a number of seconds"
    if bounds.above_low:
        span = f"> {_amount(bounds.low)}" + ("" if math.isinf(bounds.high) else f" and <= {_amount(bounds.high)}")
    else:
        span = (f">= {_amount(bounds.low)}" if math.isinf(bounds.high)
                else f"from {_amount(bounds.low)} to {_amount(bounds.high)}")
    expected = f"{var}: expected {what} {span}" + (f" ({bounds.why})" if bounds.why else "")
    try:
        n = kind(value)
    except ValueError:
        raise ConfigError(f"{expected}, got {value!r}") from None
    too_low = n <= bounds.low if bounds.above_low else n < bounds.low
    if not math.isfinite(n) or too_low or n > bounds.high:
        raise ConfigError(f"{expected}, got {value!r}")
    return n


def _shown(url: str) -> str:
    """`url` for an error message, without a user or password: everything before the last @ but the scheme."""
    if "@" not in url:
        return url
    head, _, tail = url.rpartition("@")
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:/*", head)
    return (scheme.group(0) if scheme else "") + "***@" + tail


def http_url(value: str, var: str) -> str:
    """An absolute http(s) URL with a host: anything else fails on the first request, far from the setting."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number or out of range
        ok = False
    if not ok or re.search(r"\s", value):
        raise ConfigError(f"{var}: expected an absolute http(s) URL like https://host/path, got {_shown(value)!r}")
    return value


def redis_url(value: str) -> str:
    """What redis-py's from_url accepts, checked here so a typo exits 2 instead of a traceback."""
    expected = "REDIS_URL: expected redis://host:port/db, rediss://host:port/db or unix:///path/to.sock"
    try:
        parts = urlsplit(value)
        if parts.scheme == "unix":
            ok = bool(parts.path)
        else:
            ok = (parts.scheme in ("redis", "rediss") and parts.port != 0
                  and re.fullmatch(r"/?\d*", parts.path) is not None)
    except ValueError:
        ok = False
    if not ok or re.search(r"\s", value):
        raise ConfigError(f"{expected}, got {_shown(value)!r}")
    return value
