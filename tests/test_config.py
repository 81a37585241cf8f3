"""Every setting is validated with a range and one clear message ("VAR: expected ..., got '...'"), and a bad one
stops `python bot.py` and the CLI with exit 2 and no traceback (issue 21, finding 7)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oilfx.config import ConfigError, load_settings
from tests.fakes.bot_process import REPO, BotProcess

TOKENS = {"SLACK_BOT_TOKEN": "xoxb-1-config", "SLACK_APP_TOKEN": "xapp-1-config", "OPENAI_API_KEY": "sk-config"}

# (variable, value, what the message must say besides the variable and the value)
BAD = [
    # seen crashing with a traceback
    ("OILFX_LOG_LEVEL", "foo", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("SLACK_API_URL", "foo", "absolute http(s) URL"),
    ("SLACK_API_URL", "ftp://slack.example/api/", "absolute http(s) URL"),
    ("SLACK_API_URL", "http:///api/", "absolute http(s) URL"),
    ("SLACK_API_URL", "http://127.0.0.1:notaport/api/", "absolute http(s) URL"),
    ("SLACK_API_URL", "http://127.0.0.1:99999/api/", "absolute http(s) URL"),
    ("SLACK_API_URL", "slack.com/api/", "absolute http(s) URL"),
    ("OPENAI_BASE_URL", "localhost:8080/v1", "absolute http(s) URL"),
    ("OILFX_OPINET_URL", "www.opinet.co.kr/glopcoil_csv.do", "absolute http(s) URL"),
    ("OILFX_KNOC_URL", "file:///etc/passwd", "absolute http(s) URL"),
    ("OILFX_NAVER_URL", "https://finance.naver.com/market index/", "absolute http(s) URL"),
    ("OILFX_NAVER_MOBILE_URL", "//m.stock.naver.com/", "absolute http(s) URL"),
    ("OILFX_FRED_URL", "fred", "absolute http(s) URL"),
    ("OILFX_FRANKFURTER_URL", "https://", "absolute http(s) URL"),
    ("REDIS_URL", "foo", "redis://host:port/db"),
    ("REDIS_URL", "http://127.0.0.1:6379/0", "redis://host:port/db"),
    ("REDIS_URL", "redis://127.0.0.1:port/0", "redis://host:port/db"),
    ("REDIS_URL", "redis://127.0.0.1:6379/zero", "redis://host:port/db"),
    ("REDIS_URL", "unix://", "unix:///path/to.sock"),
    # seen accepted as nonsense: inf, nan, 0 and negatives for timeouts, TTLs and leases
    ("OILFX_EVENT_LEASE", "0", "from 1 to 3,600"),
    ("OILFX_EVENT_LEASE", "nan", "from 1 to 3,600"),
    ("OILFX_EVENT_LEASE", "inf", "from 1 to 3,600"),
    ("OILFX_EVENT_LEASE", "0.5", "renewed every third of it"),
    ("OILFX_EVENT_LEASE", "-60", "from 1 to 3,600"),
    ("OILFX_LOCK_TTL", "0", "from 1 to 3,600"),
    ("OILFX_LOCK_TTL", "nan", "from 1 to 3,600"),
    ("OILFX_LOCK_TTL", "1e9", "from 1 to 3,600"),
    ("OILFX_CACHE_TTL", "inf", "from 0 to 86,400"),
    ("OILFX_CACHE_TTL", "nan", "from 0 to 86,400"),
    ("OILFX_CACHE_TTL", "-1", "from 0 to 86,400"),
    ("OILFX_HTTP_CONNECT_TIMEOUT", "0", "> 0 and <= 300"),
    ("OILFX_HTTP_CONNECT_TIMEOUT", "nan", "> 0 and <= 300"),
    ("OILFX_HTTP_READ_TIMEOUT", "0", "> 0 and <= 300"),
    ("OILFX_HTTP_READ_TIMEOUT", "inf", "> 0 and <= 300"),
    ("OILFX_HTTP_READ_TIMEOUT", "-5", "> 0 and <= 300"),
    ("OILFX_OPENAI_TIMEOUT", "0", "> 0 and <= 3,600"),
    ("OILFX_OPENAI_TIMEOUT", "nan", "> 0 and <= 3,600"),
    ("OILFX_OPENAI_TIMEOUT", "-inf", "> 0 and <= 3,600"),
    ("OILFX_OPENAI_TIMEOUT", "ten", "a number of seconds"),
    # integer counts
    ("OILFX_MAX_TOOL_ROUNDS", "0", "a whole number from 1 to 50"),
    ("OILFX_MAX_TOOL_ROUNDS", "2.5", "a whole number from 1 to 50"),
    ("OILFX_OPENAI_MAX_RETRIES", "-1", "a whole number from 0 to 10"),
    ("OILFX_OPENAI_MAX_RETRIES", "1000", "a whole number from 0 to 10"),
    ("OILFX_MAX_OUTPUT_TOKENS", "15", "16 is the API's minimum"),
    ("OILFX_MAX_OUTPUT_TOKENS", "nan", "a whole number from 16"),
    ("PORT", "0", "a whole number from 1 to 65,535"),
    ("PORT", "65536", "a whole number from 1 to 65,535"),
    ("PORT", "http", "a whole number from 1 to 65,535"),
]


@pytest.mark.parametrize(("var", "value", "says"), BAD, ids=[f"{v}={x}" for v, x, _ in BAD])
def test_a_bad_value_is_refused_naming_the_variable_the_range_and_the_value(var, value, says):
    with pytest.raises(ConfigError) as refused:
        load_settings({var: value})
    message = str(refused.value)
    assert message.startswith(f"{var}: expected ")
    assert says in message
    assert message.endswith(f", got {value!r}")


# (variable, value, the setting it gives): the edges of each range, and values the tests and the README use
GOOD = [
    ("OILFX_EVENT_LEASE", "1", ("event_lease", 1.0)),         # tests/test_faults_orphans.py
    ("OILFX_EVENT_LEASE", "3600", ("event_lease", 3600.0)),
    ("OILFX_LOCK_TTL", "1", ("lock_ttl", 1.0)),
    ("OILFX_CACHE_TTL", "0", ("cache_ttl", 0.0)),             # 0: never reuse
    ("OILFX_HTTP_READ_TIMEOUT", "0.3", ("http_read_timeout", 0.3)),
    ("OILFX_HTTP_CONNECT_TIMEOUT", "300", ("http_connect_timeout", 300.0)),
    ("OILFX_OPENAI_MAX_RETRIES", "0", ("openai_max_retries", 0)),
    ("OILFX_MAX_TOOL_ROUNDS", "1", ("max_tool_rounds", 1)),
    ("OILFX_MAX_OUTPUT_TOKENS", "16", ("max_output_tokens", 16)),
    ("PORT", "65535", ("port", 65535)),
    ("OILFX_LOG_LEVEL", "debug", ("log_level", "DEBUG")),
    ("SLACK_API_URL", "http://127.0.0.1:8080/api", ("slack_api_url", "http://127.0.0.1:8080/api/")),
    ("OPENAI_BASE_URL", "http://[::1]:8000/v1", ("openai_base_url", "http://[::1]:8000/v1")),
    ("REDIS_URL", "rediss://user:pw@redis.example:6380/2", ("redis_url", "rediss://user:pw@redis.example:6380/2")),
    ("REDIS_URL", "redis://127.0.0.1", ("redis_url", "redis://127.0.0.1")),
    ("REDIS_URL", "unix:///run/redis.sock", ("redis_url", "unix:///run/redis.sock")),
]


@pytest.mark.parametrize(("var", "value", "expected"), GOOD, ids=[f"{v}={x}" for v, x, _ in GOOD])
def test_values_at_the_edges_of_each_range_are_accepted(var, value, expected):
    attr, setting = expected
    assert getattr(load_settings({var: value}), attr) == setting


def test_every_numeric_setting_has_a_range():
    """A numeric setting added without a RANGES entry only gets 'finite and not negative'; these are all bounded."""
    from oilfx.config_values import RANGES

    for var in ("PORT", "OILFX_CACHE_TTL", "OILFX_HTTP_CONNECT_TIMEOUT", "OILFX_HTTP_READ_TIMEOUT",
                "OILFX_OPENAI_TIMEOUT", "OILFX_OPENAI_MAX_RETRIES", "OILFX_MAX_TOOL_ROUNDS",
                "OILFX_MAX_OUTPUT_TOKENS", "OILFX_LOCK_TTL", "OILFX_EVENT_LEASE"):
        bounds = RANGES[var]
        assert bounds.low < bounds.high < float("inf")


@pytest.mark.parametrize("url", ["redis://:s3cret-pw@127.0.0.1:port/0", "redis:/:s3cret-pw@h/0"])
def test_a_bad_redis_url_is_refused_without_its_password(url):
    with pytest.raises(ConfigError, match="REDIS_URL") as refused:
        load_settings({"REDIS_URL": url})
    assert "s3cret-pw" not in str(refused.value)


def test_a_bad_http_url_is_refused_without_its_password():
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL") as refused:
        load_settings({"OPENAI_BASE_URL": "http://user:s3cret-pw@:8000/v1"})
    assert "s3cret-pw" not in str(refused.value)


# Through the entry points, as an operator meets them.
START = [
    ({"OILFX_LOG_LEVEL": "foo"}, "OILFX_LOG_LEVEL: expected one of"),
    ({"SLACK_API_URL": "foo"}, "SLACK_API_URL: expected an absolute http(s) URL"),
    ({"REDIS_URL": "foo"}, "REDIS_URL: expected redis://"),
    ({"OILFX_EVENT_LEASE": "0"}, "OILFX_EVENT_LEASE: expected a number of seconds from 1 to 3,600"),
    ({"OILFX_OPENAI_TIMEOUT": "nan"}, "OILFX_OPENAI_TIMEOUT: expected a number of seconds > 0"),
]


@pytest.mark.parametrize(("env", "says"), START, ids=[next(iter(e)) for e, _ in START])
def test_bot_with_a_bad_setting_exits_2_with_one_message(env, says):
    done = BotProcess({**TOKENS, **env}).run()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("oilfx cannot start:") and says in done.stderr


def test_bot_whose_db_directory_cannot_be_created_exits_2_naming_it(tmp_path: Path):
    (tmp_path / "a-file").write_text("not a directory")
    db = tmp_path / "a-file" / "state" / "oilfx.db"
    done = BotProcess({**TOKENS, "OILFX_DB": str(db)}).run()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot open the SQLite store at OILFX_DB={db}" in done.stderr


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OILFX_", "REDIS_", "SLACK_", "OPENAI_"))}
    return subprocess.run([sys.executable, "-m", "oilfx", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={**base, "PYTHONPATH": str(REPO), "OILFX_LANG": "en", **env})


@pytest.mark.parametrize(("env", "says"), [
    ({"REDIS_URL": "foo"}, "REDIS_URL: expected redis://"),
    ({"OILFX_LOG_LEVEL": "verbose"}, "OILFX_LOG_LEVEL: expected one of"),
], ids=["REDIS_URL", "OILFX_LOG_LEVEL"])
def test_cli_with_a_bad_setting_exits_2_with_one_message(tmp_path: Path, env, says):
    done = _cli("store", "stats", env={"OILFX_DB": str(tmp_path / "oilfx.db"), **env}, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("oilfx: configuration error: ") and says in done.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "192.0.2.1"], ids=["port-taken", "host-not-ours"])
def test_http_bot_that_cannot_listen_exits_2_naming_port(slack_server, pages_server, tmp_path: Path, host: str):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**slack_server.env(socket_mode=False), **pages_server.env(), "OPENAI_API_KEY": "sk-config",
               "PORT": str(port),
               "OILFX_HTTP_HOST": host, "OILFX_DB": str(tmp_path / "oilfx.db")}
        done = BotProcess(env).run()
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"cannot listen on {host}:{port}" in done.stderr and "set PORT" in done.stderr
