"""How Opinet's JSP download page refuses a request, for tests/fakes/pages.py. No saved refusal exists: the pages
are Tomcat's default error pages (Opinet runs on a Java/JSP stack: `.do` URLs, `form#glopcoilVO`), which is what a
Spring/JSP controller answers for an unsupported method (405) or a parameter it cannot parse (500).

A well-formed form gets the CSV. One deviation, on purpose: the fixture is a fixed history of 2023-11, so every valid
form gets all of it, whatever range it asks for (the real site would answer only the rows in the range);
`PagesServer.last_form(OPINET_PATH)` shows what was asked, and the tests check that range.
"""

from __future__ import annotations

from datetime import date

# Opinet's download form, as others' code fills it. Every field must be there and the dates real, or the page
# fails the way a JSP that parses its parameters does: an HTTP 500 error page.
OPINET_FIELDS = ("TERM", "STA_Y", "STA_M", "STA_D", "END_Y", "END_M", "END_D", "SEL_DIV", "OILSRTCD")
TOMCAT_405 = (b"<!doctype html><html lang=\"en\"><head><title>HTTP Status 405 \xe2\x80\x93 Method Not Allowed</title>"
              b"</head><body><h1>HTTP Status 405 \xe2\x80\x93 Method Not Allowed</h1><p><b>Message</b> Request method "
              b"&#39;GET&#39; not supported</p></body></html>")
TOMCAT_500 = (b"<!doctype html><html lang=\"en\"><head><title>HTTP Status 500 \xe2\x80\x93 Internal Server Error"
              b"</title></head><body><h1>HTTP Status 500 \xe2\x80\x93 Internal Server Error</h1><p><b>Exception</b> "
              b"java.lang.NumberFormatException: null</p></body></html>")


def method_not_allowed(method: str) -> tuple[int, bytes]:
    return 405, TOMCAT_405.replace(b"GET", method.encode())


def opinet_refusal(method: str, form: dict[str, list[str]] | None) -> tuple[int, bytes] | None:
    """(status, body) for a request Opinet's CSV download refuses; None for a well-formed POST form."""
    if method != "POST" or form is None:
        return method_not_allowed(method)
    try:
        values = {name: form[name][0] for name in OPINET_FIELDS}
        for prefix in ("STA", "END"):
            date(int(values[f"{prefix}_Y"]), int(values[f"{prefix}_M"]), int(values[f"{prefix}_D"]))
    except (KeyError, ValueError):
        return 500, TOMCAT_500
    return None


def refusal(is_form: bool, method: str, form: dict[str, list[str]] | None) -> tuple[int, bytes] | None:
    """Only Opinet's download takes a POST form; every other page of the fake answers GET only."""
    if is_form:
        return opinet_refusal(method, form)
    return None if method == "GET" else method_not_allowed(method)
