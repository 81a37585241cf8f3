"""One frozen Settings object, read from the environment (and `.env`, loaded by the entry points).

The variable names are a contract with operators and tests: see ../shared/DESIGN.md and .env.example.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

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


def _number(value: str, var: str, kind: type = float) -> float | int:
    try:
        n = kind(value)
    except ValueError:
        raise ConfigError(f"{var}: expected a number, got {value!r}") from None
    if n < 0:
        raise ConfigError(f"{var}: must not be negative, got {value!r}")
    return n


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
    }
    for var, (attr, kind) in numbers.items():
        if (value := get(var)) is not None:
            kw[attr] = _number(value, var, kind)
    if kw.get("max_output_tokens", MIN_OUTPUT_TOKENS) < MIN_OUTPUT_TOKENS:
        raise ConfigError(f"OILFX_MAX_OUTPUT_TOKENS: at least {MIN_OUTPUT_TOKENS} (the API's minimum), "
                          f"got {kw['max_output_tokens']}")
    if kw.get("max_question_chars", 1) < 1:
        raise ConfigError(f"OILFX_MAX_QUESTION_CHARS: at least 1, got {kw['max_question_chars']}")
    for var, attr in (("OILFX_SHOW_STEPS", "show_steps"), ("OILFX_STREAM", "stream")):
        if (value := get(var)) is not None:
            try:
                kw[attr] = _bool(value)
            except ConfigError as e:
                raise ConfigError(f"{var}: {e}") from None
    if (value := get("OILFX_LOG_LEVEL")) is not None:
        kw["log_level"] = value.upper()
    return Settings(**kw)
