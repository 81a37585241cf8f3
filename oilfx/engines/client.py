"""The OpenAI client every engine builds, and the translation of SDK exceptions into EngineError sentences."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import openai

from oilfx.config import Settings
from oilfx.engines.base import EngineError
from oilfx.engines.items import ConversationGone

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> openai.OpenAI:
    if not settings.openai_api_key:
        raise EngineError("OPENAI_API_KEY is not set: put your OpenAI (or compatible server's) key in the "
                          "environment or .env.")
    return openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                         timeout=settings.openai_timeout, max_retries=settings.openai_max_retries)


def endpoint(settings: Settings, path: str) -> str:
    """The URL a request went to, for errors that must name it."""
    return f"{(settings.openai_base_url or 'https://api.openai.com/v1').rstrip('/')}/{path}"


def detail(e: openai.APIStatusError) -> str:
    body = e.body if isinstance(e.body, dict) else {}
    message = str(body.get("message") or e.message)
    code = body.get("code") or body.get("type")
    text = f"{code}: {message}" if code else message
    return text if len(text) <= 240 else text[:237] + "..."


def describe(e: openai.OpenAIError, settings: Settings) -> str:
    attempts = settings.openai_max_retries + 1
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(e, openai.APITimeoutError):
        return f"OpenAI did not answer within {settings.openai_timeout:g} s{tries}; try again in a minute."
    if isinstance(e, openai.APIConnectionError):
        where = settings.openai_base_url or "the OpenAI API"
        return f"Could not connect to {where}{tries}; check OPENAI_BASE_URL and the network."
    if isinstance(e, openai.AuthenticationError):
        return f"OpenAI rejected the API key (HTTP 401, {detail(e)}); check OPENAI_API_KEY."
    if isinstance(e, openai.RateLimitError):
        return f"OpenAI is rate limiting us (HTTP 429{tries}, {detail(e)}); try again in a minute."
    if isinstance(e, openai.APIStatusError):
        return f"OpenAI returned HTTP {e.status_code}{tries if e.status_code >= 500 else ''} ({detail(e)})."
    return f"OpenAI client error: {e}"


# The API's 404 for the conversation itself (type invalid_request_error, param and code null), as api.openai.com
# words it: "Conversation with id 'conv_…' not found." (Conversations, and Responses given `conversation`) and
# "No thread found with id 'thread_…'." (Assistants). A server without the endpoint answers 404 too, but names
# no id ("File Not Found", "Invalid URL (POST /v1/conversations)"): that is not a lost conversation.
_GONE = ("Conversation with id '{ref}' not found", "No thread found with id '{ref}'")
LOST_CONTEXT = ("The earlier conversation in this thread no longer exists on the OpenAI server (deleted, expired, "
                "or made with another API key), so this answer starts a new one without what was said before.")


def is_gone(e: BaseException, ref: str) -> bool:
    """`e` is the API saying that conversation/thread `ref` does not exist (for this key)."""
    if not isinstance(e, openai.NotFoundError) or not ref:
        return False
    body = e.body if isinstance(e.body, dict) else {}
    message = str(body.get("message") or e.message)
    return any(re.search(re.escape(pattern.format(ref=ref)), message, re.IGNORECASE) for pattern in _GONE)


@contextmanager
def openai_errors(settings: Settings, conversation: str | None = None) -> Iterator[None]:
    """Every SDK exception leaves as an EngineError with a short, specific sentence; the API's 404 on
    `conversation` itself as ConversationGone."""
    try:
        yield
    except openai.OpenAIError as e:
        if conversation and isinstance(e, openai.NotFoundError) and is_gone(e, conversation):
            said = detail(e)
            log.warning("conversation %s is gone (%s)", conversation, said)
            raise ConversationGone(conversation, f"OpenAI answered HTTP 404 for {conversation} ({said}).",
                                   LOST_CONTEXT) from e
        message = describe(e, settings)
        log.info("engine call failed: %s (request id %s)", message, getattr(e, "request_id", None))
        raise EngineError(message) from e
