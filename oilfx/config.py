"""One frozen Settings object, read from the environment (and `.env`, loaded by the entry points).

The variable names are a contract with operators and tests: see ../shared/DESIGN.md and .env.example.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from oilfx.config_values import ConfigError
from oilfx.config_values import http_url as _http_url
from oilfx.config_values import number as _number
from oilfx.config_values import parse_bool as _bool
from oilfx.config_values import redis_url as _redis_url
from oilfx.config_values import sources as _sources
from oilfx.i18n import Lang

OIL_SOURCES = ("opinet", "naver", "fred")
FX_SOURCES = ("naver", "naver_mobile", "frankfurter")
HISTORY_OIL_SOURCES = ("opinet", "fred", "naver")   # daily closes by date range (oilfx/market/history/)
HISTORY_FX_SOURCES = ("frankfurter", "naver")       # USD/KRW by date range
ENGINES = ("responses", "assistants", "chat")

DEFAULT_MODEL = "gpt-5-mini"


@dataclass(frozen=True)
class Settings:
    # Slack
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    http_host: str = "0.0.0.0"
    health_port: int | None = None  # Socket Mode: serve /healthz and /metrics here (HTTP mode serves them on port)
    stream: bool = True             # use Slack's native streaming where the workspace has it
    slack_timeout: float = 10.0     # seconds per Slack Web API call (progress updates: at most 3 s)
    slack_client_id: str | None = None   # OAuth install for many workspaces (HTTP mode): oilfx/slack/oauth.py
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    slack_redirect_uri: str | None = None  # None: the app's one Redirect URL in its settings
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
    max_alerts: int = 20            # alerts one channel may have (OILFX_MAX_ALERTS); one more is refused
    # Store
    db_path: str = "oilfx.db"
    redis_url: str | None = field(default=None, repr=False)
    lock_ttl: float = 30.0          # seconds a crashed process can keep a thread's turn lock (Redis)
    event_lease: float = 60.0       # seconds before an unfinished event may be taken over by a redelivery
    alert_interval: float = 900.0   # seconds between two checks of the alerts against fresh quotes
    alert_claim_ttl: float = 120.0  # seconds a killed process's claim on a firing blocks it before another posts it
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
    history_oil_sources: tuple[str, ...] = HISTORY_OIL_SOURCES
    history_fx_sources: tuple[str, ...] = HISTORY_FX_SOURCES
    history_ttl: float = 6 * 3600.0  # a day's closes change once a day: reuse a fetched range for hours
    http_connect_timeout: float = 3.05
    http_read_timeout: float = 5.0
    # Presentation
    show_steps: bool = False
    lang: Lang = Lang.KO            # the workspace's language: channel posts, and users whose locale says nothing
    locale_ttl: float = 3600.0      # seconds a user's Slack locale (users.info) is reused
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:  # many workspaces: client credentials and no bot token (a bot token: one workspace)
        return not self.slack_bot_token and bool(self.slack_client_id or self.slack_client_secret)


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
        "SLACK_CLIENT_ID": "slack_client_id", "SLACK_CLIENT_SECRET": "slack_client_secret",
        "SLACK_AUTHORIZE_URL": "slack_authorize_url", "SLACK_REDIRECT_URI": "slack_redirect_uri",
    }
    for var, attr in simple.items():
        if (value := get(var)) is not None:
            kw[attr] = value
    for var, attr in simple.items():
        if var.endswith(("_URL", "_URI")) and var != "REDIS_URL" and attr in kw:
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
    if (value := get("OILFX_HISTORY_OIL_SOURCES")) is not None:
        kw["history_oil_sources"] = _sources(value, HISTORY_OIL_SOURCES, "OILFX_HISTORY_OIL_SOURCES")
    if (value := get("OILFX_HISTORY_FX_SOURCES")) is not None:
        kw["history_fx_sources"] = _sources(value, HISTORY_FX_SOURCES, "OILFX_HISTORY_FX_SOURCES")
    numbers = {
        "OILFX_CACHE_TTL": ("cache_ttl", float),
        "OILFX_HISTORY_TTL": ("history_ttl", float),
        "OILFX_HTTP_CONNECT_TIMEOUT": ("http_connect_timeout", float),
        "OILFX_HTTP_READ_TIMEOUT": ("http_read_timeout", float),
        "OILFX_OPENAI_TIMEOUT": ("openai_timeout", float),
        "OILFX_OPENAI_MAX_RETRIES": ("openai_max_retries", int),
        "OILFX_MAX_TOOL_ROUNDS": ("max_tool_rounds", int),
        "OILFX_MAX_OUTPUT_TOKENS": ("max_output_tokens", int),
        "OILFX_MAX_QUESTION_CHARS": ("max_question_chars", int),
        "OILFX_MAX_ALERTS": ("max_alerts", int),
        "OILFX_LOCK_TTL": ("lock_ttl", float),
        "OILFX_EVENT_LEASE": ("event_lease", float),
        "OILFX_SLACK_TIMEOUT": ("slack_timeout", float),
        "OILFX_ALERT_INTERVAL": ("alert_interval", float),
        "OILFX_ALERT_CLAIM_TTL": ("alert_claim_ttl", float),
        "OILFX_HEALTH_PORT": ("health_port", int),
        "OILFX_LOCALE_TTL": ("locale_ttl", float),
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
    if (value := get("OILFX_LANG")) is not None:
        if (lang := Lang.parse(value)) is None or value.lower() not in {"ko", "en"}:
            raise ConfigError(f"OILFX_LANG: expected ko or en, got {value!r}")
        kw["lang"] = lang
    if (value := get("OILFX_LOG_LEVEL")) is not None:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ConfigError(f"OILFX_LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {value!r}")
        kw["log_level"] = value.upper()
    return Settings(**kw)
