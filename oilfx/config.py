"""One frozen Settings object, read from the environment (and `.env`, loaded by the entry points).

The variable names are a contract with operators and tests: see ../shared/DESIGN.md and .env.example.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

OIL_SOURCES = ("opinet", "naver", "fred")
FX_SOURCES = ("naver", "naver_mobile", "frankfurter")
ENGINES = ("responses", "assistants", "chat")

DEFAULT_MODEL = "gpt-5-mini"
MIN_OUTPUT_TOKENS = 16   # the Responses API refuses max_output_tokens below 16


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    # Slack
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    http_host: str = "0.0.0.0"
    stream: bool = True             # use Slack's native streaming where the workspace has it
    slack_timeout: float = 10.0     # seconds per Slack Web API call (progress updates: at most 3 s)
    # OpenAI (the SDK reads the same variables; we pass them explicitly so one object is the truth)
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    engine: str = "responses"
    model: str = DEFAULT_MODEL
    assistant_id: str | None = None
    openai_timeout: float = 60.0
    openai_max_retries: int = 2
    max_tool_rounds: int = 6
    # Cap on one model round's output (reasoning included). Answers are a few sentences; the cap stops a runaway
    # round from filling the context window (llama-server: 331 s and a 500). Reasoning models need headroom.
    max_output_tokens: int = 4096
    max_question_chars: int = 4000  # a longer question is not sent to the model; the user is asked to shorten it
    # Store
    db_path: str = "oilfx.db"
    redis_url: str | None = field(default=None, repr=False)
    lock_ttl: float = 30.0          # seconds a crashed process can keep a thread's turn lock (Redis)
    event_lease: float = 60.0       # seconds before an unfinished event may be taken over by a redelivery
    # Market data
    opinet_url: str = "https://www.opinet.co.kr/glopcoil_csv.do"   # crude: Dubai, Brent, WTI (CSV, POST form)
    knoc_url: str = "https://www.knoc.co.kr/"                        # national average pump prices only
    naver_url: str = "https://finance.naver.com/marketindex/"
    naver_mobile_url: str = "https://m.stock.naver.com/front-api/marketIndex/"
    fred_url: str = "https://fred.stlouisfed.org/graph/fredgraph.csv"
    frankfurter_url: str = "https://api.frankfurter.dev/v1/latest"
    oil_sources: tuple[str, ...] = OIL_SOURCES
    fx_sources: tuple[str, ...] = FX_SOURCES
    cache_ttl: float = 60.0
    http_connect_timeout: float = 3.05
    http_read_timeout: float = 5.0
    # Presentation
    show_steps: bool = False
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"expected true/false, got {value!r}")


# Names that were once valid: the error says what replaced them instead of only listing the choices.
_RETIRED_SOURCES = {"knoc": "KNOC's home page shows only pump prices now; Opinet (KNOC's own site) gives crude: "
                            "use opinet"}


def _sources(value: str, allowed: tuple[str, ...], var: str) -> tuple[str, ...]:
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
    "OILFX_CACHE_TTL": Bounds(0, 86400, why="0: never reuse"),
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
}


def _amount(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:g}"


def _number(value: str, var: str, kind: type = float) -> float | int:
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


def _http_url(value: str, var: str) -> str:
    """An absolute http(s) URL with a host: anything else fails on the first request, far from the setting."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number or out of range
        ok = False
    if not ok or re.search(r"\s", value):
        raise ConfigError(f"{var}: expected an absolute http(s) URL like https://host/path, got {_shown(value)!r}")
    return value


def _redis_url(value: str) -> str:
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


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: os.environ). Raises ConfigError naming the bad variable."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    kw: dict = {}
    simple = {
        "SLACK_BOT_TOKEN": "slack_bot_token",
        "SLACK_APP_TOKEN": "slack_app_token",
        "SLACK_SIGNING_SECRET": "slack_signing_secret",
        "SLACK_API_URL": "slack_api_url",
        "OPENAI_API_KEY": "openai_api_key",
        "OPENAI_BASE_URL": "openai_base_url",
        "OILFX_MODEL": "model",
        "OILFX_ASSISTANT_ID": "assistant_id",
        "OILFX_DB": "db_path",
        "REDIS_URL": "redis_url",
        "OILFX_OPINET_URL": "opinet_url",
        "OILFX_KNOC_URL": "knoc_url",
        "OILFX_NAVER_URL": "naver_url",
        "OILFX_NAVER_MOBILE_URL": "naver_mobile_url",
        "OILFX_FRED_URL": "fred_url",
        "OILFX_FRANKFURTER_URL": "frankfurter_url",
        "OILFX_HTTP_HOST": "http_host",
    }
    for var, attr in simple.items():
        if (value := get(var)) is not None:
            kw[attr] = value
    for var, attr in simple.items():
        if var.endswith("_URL") and var != "REDIS_URL" and attr in kw:
            _http_url(kw[attr], var)
    if kw.get("redis_url"):
        _redis_url(kw["redis_url"])
    if kw.get("slack_api_url") and not kw["slack_api_url"].endswith("/"):
        kw["slack_api_url"] += "/"

    if (value := get("OILFX_ENGINE")) is not None:
        if value.lower() not in ENGINES:
            raise ConfigError(f"OILFX_ENGINE: unknown engine {value!r}; choose from {', '.join(ENGINES)}")
        kw["engine"] = value.lower()
    if (value := get("PORT")) is not None:
        kw["port"] = int(_number(value, "PORT", int))
    if (value := get("OILFX_OIL_SOURCES")) is not None:
        kw["oil_sources"] = _sources(value, OIL_SOURCES, "OILFX_OIL_SOURCES")
    if (value := get("OILFX_FX_SOURCES")) is not None:
        kw["fx_sources"] = _sources(value, FX_SOURCES, "OILFX_FX_SOURCES")
    numbers = {
        "OILFX_CACHE_TTL": ("cache_ttl", float),
        "OILFX_HTTP_CONNECT_TIMEOUT": ("http_connect_timeout", float),
        "OILFX_HTTP_READ_TIMEOUT": ("http_read_timeout", float),
        "OILFX_OPENAI_TIMEOUT": ("openai_timeout", float),
        "OILFX_OPENAI_MAX_RETRIES": ("openai_max_retries", int),
        "OILFX_MAX_TOOL_ROUNDS": ("max_tool_rounds", int),
        "OILFX_MAX_OUTPUT_TOKENS": ("max_output_tokens", int),
        "OILFX_MAX_QUESTION_CHARS": ("max_question_chars", int),
        "OILFX_LOCK_TTL": ("lock_ttl", float),
        "OILFX_EVENT_LEASE": ("event_lease", float),
        "OILFX_SLACK_TIMEOUT": ("slack_timeout", float),
    }
    for var, (attr, kind) in numbers.items():
        if (value := get(var)) is not None:
            kw[attr] = _number(value, var, kind)
    for var, attr in (("OILFX_SHOW_STEPS", "show_steps"), ("OILFX_STREAM", "stream")):
        if (value := get(var)) is not None:
            try:
                kw[attr] = _bool(value)
            except ConfigError as e:
                raise ConfigError(f"{var}: {e}") from None
    if (value := get("OILFX_LOG_LEVEL")) is not None:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ConfigError(f"OILFX_LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {value!r}")
        kw["log_level"] = value.upper()
    return Settings(**kw)
