"""Logging set-up: one line per record with the Slack thread and event it belongs to, secrets redacted."""

from __future__ import annotations

import logging
import os
import re
import sys

# Slack tokens (xoxb-, xoxp-, xapp-, ...) and OpenAI-style keys (sk-...), wherever they appear in a message.
_SECRET = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,})")
_SECRET_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY", "REDIS_URL")


class RedactSecrets(logging.Filter):
    """Replaces anything that looks like a token, and the literal values of the secret variables."""

    def __init__(self) -> None:
        super().__init__()
        self.literals = [v for name in _SECRET_VARS if len(v := os.environ.get(name, "")) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _SECRET.sub(lambda m: m.group(0)[:5] + "[redacted]", message)
        for literal in self.literals:
            cleaned = cleaned.replace(literal, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpx2", "openai._base_client", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
