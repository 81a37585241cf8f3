"""Retrying requests that change server state (a round on a Conversation, tool outputs, a new run).

The SDK's own retry resends such a request blindly: if the first attempt finished on the server but its answer
was lost (a timeout, a reset), the replay duplicates the user message or finds that attempt's calls without
outputs, and the conversation breaks. So these requests go with `max_retries=0`, and before each retry the
caller's `landed()` asks the server whether the lost attempt took effect; only if not is the request resent.
`409/400 conversation_locked` (another request on the conversation is still running) is waited out with backoff.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import openai
import tenacity

from oilfx.config import Settings

T = TypeVar("T")
LOCKED = "conversation_locked"


def is_locked(e: BaseException | None) -> bool:
    return isinstance(e, openai.APIStatusError) and e.code == LOCKED


def is_overtaken(e: BaseException | None) -> bool:
    """A resend refused because our lost attempt landed after `landed()` looked (its calls have no outputs yet):
    looking again finds it."""
    return isinstance(e, openai.BadRequestError) and "No tool output found" in str(e.message)


def is_transient(e: BaseException | None) -> bool:
    """The SDK's own rule (_base_client._should_retry): connection errors, timeouts, 408/409/429/5xx."""
    if isinstance(e, openai.APIConnectionError):
        return True
    if not isinstance(e, openai.APIStatusError) or is_locked(e):
        return False
    should = e.response.headers.get("x-should-retry")
    if should in ("true", "false"):
        return should == "true"
    return e.status_code in (408, 409, 429) or e.status_code >= 500


def _hint(e: BaseException | None) -> float | None:
    """retry-after-ms / retry-after (seconds), as the SDK honours them (at most 120 s)."""
    if not isinstance(e, openai.APIStatusError):
        return None
    headers = e.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name, "")) / scale
        except ValueError:
            continue
        if 0 < seconds <= 120:
            return seconds
    return None


def stateful(settings: Settings, send: Callable[[], T], landed: Callable[[], T | None]) -> T:
    """`send()` once; on a transient failure, `landed()` (the server's state: the result of the lost attempt,
    or None) before each of up to settings.openai_max_retries resends."""
    attempts = settings.openai_max_retries + 1
    failures: list[BaseException] = []          # transient ones, counted against `attempts`
    locked_since: list[float] = []

    def stop(state: tenacity.RetryCallState) -> bool:
        e = state.outcome.exception() if state.outcome else None
        if is_overtaken(e) and not failures:
            return True   # only a resend can be overtaken by its own lost attempt: this one is a real refusal
        if is_locked(e) or is_overtaken(e):
            locked_since[:] = locked_since or [time.monotonic()]
            return time.monotonic() - locked_since[0] > settings.openai_timeout
        failures.append(e)  # type: ignore[arg-type]
        return len(failures) >= attempts

    def wait(state: tenacity.RetryCallState) -> float:
        e = state.outcome.exception() if state.outcome else None
        if (hint := _hint(e)) is not None:
            return hint
        if is_locked(e) or is_overtaken(e):  # the other request is one model round: poll it briskly
            return min(0.05 * 2 ** min(state.attempt_number, 5), 1.0)
        return min(0.5 * 2 ** (len(failures) - 1), 8.0) * (1 - 0.25 * random.random())

    retryable = tenacity.retry_if_exception(lambda e: is_transient(e) or is_locked(e) or is_overtaken(e))
    retrying = tenacity.Retrying(retry=retryable, stop=stop, wait=wait, reraise=True)
    try:
        for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1 and (found := landed()) is not None:
                    return found
                return send()
    except openai.OpenAIError as e:
        if (is_locked(e) or is_overtaken(e)) and failures:
            raise failures[0] from e   # waited for our own lost attempt: report why it was lost
        raise
    raise AssertionError("unreachable: tenacity either returns or raises")
