"""HTTP for the market sources: one shared Session, a browser User-Agent, (connect, read) timeouts, at most one
retry per source, no redirects (a URL that did not come from settings is never fetched), and our own decoding."""

from __future__ import annotations

import logging
import re
import time

import requests
import tenacity

from oilfx.config import Settings
from oilfx.market.errors import SourceError

log = logging.getLogger(__name__)

BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_RETRY_PAUSE = 0.2
# The pages we read are 10-300 KB. A bigger body (a wrong URL, a hostile or broken server, an endless stream) is
# refused instead of filling memory; the read timeout alone bounds only each chunk, so the whole body has a deadline.
MAX_PAGE_BYTES = 4 << 20
_CHUNK = 64 << 10
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
# EUC-KR pages routinely contain CP949-only (extended Hangul) characters; cp949 is its superset.
_CHARSET_ALIASES = {"euc-kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949", "x-windows-949": "cp949"}


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers.update({
        "User-Agent": BROWSER_USER_AGENT,
        "Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7",
    })
    return session


def _seconds(value: float) -> str:
    return f"{value:g} s"


class _Retryable(SourceError):
    """A failure worth one more try (connect timeout, refused connection, 5xx); a plain SourceError is final."""


class SourceHttp:
    """The requests one source makes during one fetch; they share a budget of one retry (tenacity does the loop)."""

    def __init__(self, session: requests.Session, settings: Settings, retries: int = 1) -> None:
        self._session = session
        self._timeout = (settings.http_connect_timeout, settings.http_read_timeout)
        self._retries_left = retries

    def get(self, url: str, *, setting: str) -> requests.Response:
        """GET `url` (which came from `setting`, e.g. "OILFX_KNOC_URL"); a SourceError with a specific reason on
        timeout, connection failure, redirect or HTTP error."""
        return self._request("GET", url, setting)

    def post(self, url: str, form: list[tuple[str, str]], *, setting: str) -> requests.Response:
        """POST an HTML form to `url`, with the same rules as get()."""
        return self._request("POST", url, setting, data=form)

    def _request(self, method: str, url: str, setting: str, **kwargs: object) -> requests.Response:
        retrying = tenacity.Retrying(
            stop=lambda _state: self._retries_left <= 0,
            wait=tenacity.wait_fixed(_RETRY_PAUSE),
            retry=tenacity.retry_if_exception_type(_Retryable),
            before_sleep=lambda state: self._spend(url, state),
            reraise=True,
        )
        try:
            return retrying(self._once, method, url, setting, **kwargs)
        except _Retryable as e:
            raise SourceError(e.reason) from None

    def _spend(self, url: str, state: tenacity.RetryCallState) -> None:
        self._retries_left -= 1
        error = state.outcome.exception() if state.outcome is not None else None
        log.info("retrying %s after %s", url, getattr(error, "reason", error))

    def _once(self, method: str, url: str, setting: str, **kwargs: object) -> requests.Response:
        """One attempt. Each attempt gets its own whole-body deadline and size cap."""
        try:
            response = self._session.request(method, url, timeout=self._timeout, allow_redirects=False,
                                             stream=True, **kwargs)
            if 200 <= response.status_code < 300:
                _read_capped(response, deadline=time.monotonic() + 2 * self._timeout[1])
        except requests.ConnectTimeout:
            raise _Retryable(f"connect timeout after {_seconds(self._timeout[0])}") from None
        except requests.ReadTimeout:
            # A server that is this slow now will not be faster a moment later: no retry.
            raise SourceError(f"timeout after {_seconds(self._timeout[1])}") from None
        except requests.ConnectionError as e:
            raise _Retryable(f"connection failed ({_short(e)})") from None
        except requests.RequestException as e:
            raise SourceError(f"request failed ({_short(e)})") from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        response.close()
        if 300 <= status < 400:
            # Never followed (a URL that did not come from settings is never fetched): say where it went and
            # which setting to change if the operator trusts the new address.
            location = response.headers.get("Location", "?")
            raise SourceError(f"HTTP {status} redirect to {location}; if that is the new address, set {setting}")
        if status in _RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status}")
        raise SourceError(f"HTTP {status}")


def _read_capped(response: requests.Response, deadline: float) -> None:
    """Read the body into response.content, refusing more than MAX_PAGE_BYTES or a read past `deadline`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_PAGE_BYTES:
        response.close()
        raise SourceError(f"page too large ({int(declared) // 1024} KB; limit {MAX_PAGE_BYTES // 1024} KB)")
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > MAX_PAGE_BYTES:
            response.close()
            raise SourceError(f"page too large (over {MAX_PAGE_BYTES // 1024} KB)")
        if time.monotonic() > deadline:
            response.close()
            raise SourceError("page kept streaming past the read deadline")
    response._content = bytes(body)  # what .content/.text return from now on


def _short(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return type(error).__name__


def declared_charset(response: requests.Response) -> str | None:
    """The charset from the Content-Type header only (requests would guess ISO-8859-1 for text/*)."""
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", response.headers.get("Content-Type", ""), re.I)
    return match.group(1) if match else None


def decode(body: bytes, charset: str | None = None) -> str:
    """Bytes -> text: the declared charset, else a <meta charset>, else UTF-8 if valid, else CP949 (EUC-KR)."""
    if charset is None:
        match = _META_CHARSET.search(body[:4096])
        charset = match.group(1).decode("ascii") if match else None
    if charset:
        codec = _CHARSET_ALIASES.get(charset.lower(), charset)
        try:
            return body.decode(codec, errors="replace")
        except LookupError:
            log.debug("unknown charset %r; sniffing", charset)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp949", errors="replace")
