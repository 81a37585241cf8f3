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
from oilfx.i18n import Msg, lazy

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> openai.OpenAI:
    if not settings.openai_api_key:
        raise EngineError(lazy("OPENAI_API_KEY is not set: put your OpenAI (or compatible server's) key in the "
                               "environment or .env."))
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


def describe(e: openai.OpenAIError, settings: Settings) -> Msg:
    """The failure as a sentence the user reads (a Msg; str() is English). Whether the SDK retried is a different
    sentence, not a fragment glued in: each language words "after 2 attempts" its own way."""
    attempts = settings.openai_max_retries + 1
    retried = attempts > 1
    seconds = f"{settings.openai_timeout:g}"
    if isinstance(e, openai.APITimeoutError):
        if retried:
            return lazy("OpenAI did not answer within {seconds} s after {attempts} attempts; try again in a minute.",
                        seconds=seconds, attempts=attempts)
        return lazy("OpenAI did not answer within {seconds} s; try again in a minute.", seconds=seconds)
    if isinstance(e, openai.APIConnectionError):
        where: str | Msg = settings.openai_base_url or lazy("the OpenAI API")
        if retried:
            return lazy("Could not connect to {where} after {attempts} attempts; check OPENAI_BASE_URL and the "
                        "network.", where=where, attempts=attempts)
        return lazy("Could not connect to {where}; check OPENAI_BASE_URL and the network.", where=where)
    if isinstance(e, openai.AuthenticationError):
        return lazy("OpenAI rejected the API key (HTTP 401, {detail}); check OPENAI_API_KEY.", detail=detail(e))
    if isinstance(e, openai.RateLimitError):
        if retried:
            return lazy("OpenAI is rate limiting us (HTTP 429 after {attempts} attempts, {detail}); try again in a "
                        "minute.", attempts=attempts, detail=detail(e))
        return lazy("OpenAI is rate limiting us (HTTP 429, {detail}); try again in a minute.", detail=detail(e))
    if isinstance(e, openai.APIStatusError):
        if retried and e.status_code >= 500:
            return lazy("OpenAI returned HTTP {status} after {attempts} attempts ({detail}).", status=e.status_code,
                        attempts=attempts, detail=detail(e))
        return lazy("OpenAI returned HTTP {status} ({detail}).", status=e.status_code, detail=detail(e))
    return lazy("OpenAI client error: {error}", error=str(e))


# The API's 404 for the conversation itself (type invalid_request_error, param and code null), as api.openai.com
# words it: "Conversation with id 'conv_…' not found." (Conversations, and Responses given `conversation`) and
# "No thread found with id 'thread_…'." (Assistants). A server without the endpoint answers 404 too, but names
# no id ("File Not Found", "Invalid URL (POST /v1/conversations)"): that is not a lost conversation.
_GONE = ("Conversation with id '{ref}' not found", "No thread found with id '{ref}'")
LOST_CONTEXT = lazy("The earlier conversation in this thread no longer exists on the OpenAI server (deleted, "
                    "expired, or made with another API key), so this answer starts a new one without what was said "
                    "before.")


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
            raise ConversationGone(conversation, lazy("OpenAI answered HTTP 404 for {conversation} ({detail}).",
                                                      conversation=conversation, detail=said), LOST_CONTEXT) from e
        message = describe(e, settings)
        log.info("engine call failed: %s (request id %s)", message, getattr(e, "request_id", None))
        raise EngineError(message) from e
