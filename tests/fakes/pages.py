"""Loopback fake of the market pages (Opinet, KNOC, Naver, Naver mobile, FRED, Frankfurter), serving raw fixture bytes.

    server = PagesServer().start()          # or the pytest fixture `pages_server` (started and stopped for you)
    env = server.env()                      # {"OILFX_KNOC_URL": "http://127.0.0.1:<port>/knoc/", ...} for load_settings
    settings = load_settings(server.env(OILFX_HTTP_READ_TIMEOUT="0.5"))   # extra variables are merged in

Default routes serve the seed's reference case (2023-11-29): Opinet Dubai 82.14, WTI 76.41, Brent 81.68 (as of
2023-11-28); Naver USD/KRW 1,289.00 at 2023.11.29 16:33 KST; the fallbacks (Naver world quotes, FRED, Naver mobile,
Frankfurter) serve the same settlement day; KNOC serves pump prices. See tests/fixtures/pages/README.md for what each
file models.

Opinet's CSV download is a POST form, refused as its JSP site would refuse it: see tests/fakes/jsp_forms.py.
Price history (Naver's paged daily quotes, Frankfurter's time series; Opinet and FRED over ranges, opted into with
`serve_history(server)`) is answered by tests/fakes/history_pages.py.

Runtime overrides, per route (a path like KNOC_PATH, or a full target with its query, e.g. NAVER_WORLD["WTI"]):

    server.set(KNOC_PATH, fixture="garbage.html")              # serve another fixture file
    server.set(NAVER_FX_PATH, status=503)                      # status (body defaults to a short error page)
    server.set(FRED_WTI, body=b"...", content_type="text/csv") # raw bytes
    server.set(FRANKFURTER_PATH, delay=2.0)                    # seconds to wait before answering (timeouts)
    server.set(NAVER_FX_PATH, fail_first=1)                    # the next request(s) get a 503 first (retries)
    server.set(NAVER_FX_PATH, trickle=0.1)                     # the body in 100-byte pieces, this far apart
    server.set(KNOC_PATH, status=302, headers={"Location": "..."})  # extra response headers
    server.delay = 0.05                                        # added to every response (benchmarks)
    server.reset()                                             # back to the reference case, counters kept
    server.count(KNOC_PATH)        # requests seen for a path (any query) or for an exact "path?query" target
    server.total()                 # all requests
    server.peak_in_flight()        # most requests handled at once
    server.last_headers(KNOC_PATH) # headers of the latest request for that exact target
    server.last_form(OPINET_PATH)  # the latest POSTed form, {field: [values]}

Reference values (what the default pages contain): REFERENCE_OIL, REFERENCE_OIL_AS_OF, REFERENCE_USDKRW,
REFERENCE_FX_AS_OF_KST. Tests compute expected won figures from these with oilfx.market's Decimal helpers.

Unknown paths get 404. Content types are those of the real services: HTML without a charset for Naver (EUC-KR
bytes, so requests would guess ISO-8859-1), KNOC with `charset=euc-kr` in a meta tag, Opinet's CSV as an
attachment (cp949, no charset declared: assumed, no saved response shows its headers).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.fakes.history_pages import history_route
from tests.fakes.httpd import LoopbackHTTPServer
from tests.fakes.jsp_forms import refusal

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"

OPINET_PATH = "/opinet/glopcoil_csv.do"
KNOC_PATH = "/knoc/"
NAVER_FX_PATH = "/naver/marketindex/"
NAVER_WORLD_PATH = "/naver/marketindex/worldDailyQuote.naver"
NAVER_WORLD = {
    "WTI": f"{NAVER_WORLD_PATH}?marketindexCd=OIL_CL&fdtc=2",
    "Brent": f"{NAVER_WORLD_PATH}?marketindexCd=OIL_BRT&fdtc=2",
    "Dubai": f"{NAVER_WORLD_PATH}?marketindexCd=OIL_DU&fdtc=2",
}
NAVER_MOBILE_BASE = "/naver-mobile/front-api/marketIndex/"
NAVER_MOBILE_PATH = f"{NAVER_MOBILE_BASE}productDetail"
NAVER_MOBILE_USDKRW = f"{NAVER_MOBILE_PATH}?category=exchange&reutersCode=FX_USDKRW"
FRED_PATH = "/fred/graph/fredgraph.csv"
FRED_WTI = f"{FRED_PATH}?id=DCOILWTICO"
FRED_BRENT = f"{FRED_PATH}?id=DCOILBRENTEU"
FRANKFURTER_PATH = "/frankfurter/v1/latest"
FRANKFURTER_USDKRW = f"{FRANKFURTER_PATH}?from=USD&to=KRW"

# What the default routes serve (the seed's 2023-11-29 run); test_market_sources checks the pages agree.
REFERENCE_OIL = {"Dubai": "82.14", "WTI": "76.41", "Brent": "81.68"}
REFERENCE_OIL_AS_OF = "2023-11-28"
REFERENCE_USDKRW = "1,289.00"
REFERENCE_FX_AS_OF_KST = "2023-11-29 16:33"
REFERENCE_PUMP = {"휘발유": "1997.94", "자동차용경유": "1893.27", "자동차용부탄": "1086.51"}   # KNOC, 2026-04-15
REFERENCE_PUMP_AS_OF = "2026-04-15"

HTML = "text/html"                       # Naver: no charset declared anywhere
HTML_EUCKR = "text/html; charset=EUC-KR"
JSON = "application/json;charset=UTF-8"
CSV = "text/csv"
DOWNLOAD = "application/octet-stream"     # Opinet's CSV attachment (assumed)

# route -> (fixture file, content type); a route is an exact "path?query" target or a bare path.
DEFAULT_ROUTES: dict[str, tuple[str, str]] = {
    OPINET_PATH: ("opinet_glopcoil.csv", DOWNLOAD),
    KNOC_PATH: ("knoc_home.html", HTML),
    NAVER_FX_PATH: ("naver_marketindex.html", HTML),
    NAVER_WORLD["WTI"]: ("naver_world_OIL_CL.html", HTML),
    NAVER_WORLD["Brent"]: ("naver_world_OIL_BRT.html", HTML),
    NAVER_WORLD["Dubai"]: ("naver_world_OIL_DU.html", HTML),
    NAVER_MOBILE_USDKRW: ("naver_mobile_usdkrw.json", JSON),
    FRED_WTI: ("fred_DCOILWTICO.csv", CSV),
    FRED_BRENT: ("fred_DCOILBRENTEU.csv", CSV),
    FRANKFURTER_USDKRW: ("frankfurter_latest.json", JSON),
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0       # this many requests get 503 before the route answers as set
    trickle: float = 0.0      # seconds between 100-byte pieces of the body


class PagesServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._counts: Counter[str] = Counter()
        self._headers: dict[str, dict[str, str]] = {}
        self._forms: dict[str, dict[str, list[str]]] = {}
        self._in_flight = 0
        self._peak_in_flight = 0
        self.delay = 0.0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> PagesServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._serve(self)

            def do_POST(self) -> None:
                server._serve(self)

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

        self._httpd = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="pages-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def env(self, **extra: str) -> dict[str, str]:
        """Settings environment pointing every market URL at this server (plus `extra` variables)."""
        base = self.url
        return {
            "OILFX_OPINET_URL": base + OPINET_PATH,
            "OILFX_KNOC_URL": base + KNOC_PATH,
            "OILFX_NAVER_URL": base + NAVER_FX_PATH,
            "OILFX_NAVER_MOBILE_URL": base + NAVER_MOBILE_BASE,
            "OILFX_FRED_URL": base + FRED_PATH,
            "OILFX_FRANKFURTER_URL": base + FRANKFURTER_PATH,
            **extra,
        }

    # --- configuration -----------------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._routes = {
                route: Route(200, fixture_bytes(name), ctype) for route, (name, ctype) in DEFAULT_ROUTES.items()
            }
            self.delay = 0.0

    def set(self, route: str, *, status: int | None = None, body: bytes | None = None, fixture: str | None = None,
            content_type: str | None = None, delay: float | None = None,
            headers: dict[str, str] | None = None, fail_first: int | None = None,
            trickle: float | None = None) -> None:
        """Override one route; unspecified parts keep their current value (a new route starts as an empty 200).

        A bare path also overrides every "path?query" route under it (e.g. all three Naver world quote pages).
        """
        if fixture is not None:
            body = fixture_bytes(fixture)
        if status is not None and body is None and status >= 400:
            body = f"<html><body><h1>{status}</h1></body></html>".encode()
        with self._lock:
            targets = [route]
            if "?" not in route:
                targets += [r for r in self._routes if r.split("?", 1)[0] == route and r != route]
            given = {"status": status, "body": body, "content_type": content_type, "delay": delay,
                     "headers": None if headers is None else dict(headers), "fail_first": fail_first,
                     "trickle": trickle}
            changes = {name: value for name, value in given.items() if value is not None}
            for target in targets:
                self._routes[target] = dataclasses.replace(self._routes.get(target, Route()), **changes)

    def count(self, route: str) -> int:
        """Requests seen for an exact "path?query" target, or for a bare path with any query."""
        with self._lock:
            if "?" in route:
                return self._counts[route]
            return sum(n for target, n in self._counts.items() if target.split("?", 1)[0] == route)

    def last_headers(self, target: str) -> dict[str, str]:
        """The request headers of the latest request for an exact "path?query" target ({} if none)."""
        with self._lock:
            return dict(self._headers.get(target, {}))

    def last_form(self, path: str) -> dict[str, list[str]]:
        """The form of the latest POST to `path` ({} if none)."""
        with self._lock:
            return {k: list(v) for k, v in self._forms.get(path, {}).items()}

    def peak_in_flight(self) -> int:
        """The most requests this server was handling at the same moment (proves concurrency, not speed)."""
        with self._lock:
            return self._peak_in_flight

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    # --- serving -----------------------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        target = handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        form = parse_qs(handler.rfile.read(length).decode("latin-1")) if handler.command == "POST" else None
        with self._lock:
            self._counts[target] += 1
            self._headers[target] = dict(handler.headers.items())
            if form is not None:
                self._forms[target] = form
            route = self._routes.get(target) or self._routes.get(target.split("?", 1)[0])
            if route is None and (answer := history_route(target)) is not None:  # paged and ranged history
                route = Route(answer.status, answer.body, answer.content_type)
            if route is not None and route.fail_first > 0:
                route.fail_first -= 1
                route = Route(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>")
            if route is not None and route.status == 200 and (refused := refusal(
                    target.split("?", 1)[0] == OPINET_PATH, handler.command, form)) is not None:
                route = Route(*refused)
            delay = self.delay + (route.delay if route else 0.0)
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            if delay:
                time.sleep(delay)
            self._respond(handler, route)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _respond(self, handler: BaseHTTPRequestHandler, route: Route | None) -> None:
        if route is None:
            route = Route(404, b"<html><body><h1>404 Not Found</h1></body></html>")
        try:
            handler.send_response(route.status)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if not route.trickle:
                handler.wfile.write(route.body)
                return
            for i in range(0, len(route.body), 100):
                handler.wfile.write(route.body[i:i + 100])
                handler.wfile.flush()
                time.sleep(route.trickle)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


@pytest.fixture
def pages_server():
    """A started PagesServer serving the reference case; stopped after the test."""
    server = PagesServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pages_env(pages_server: PagesServer) -> dict[str, str]:
    """The settings environment for `pages_server` (pass to oilfx.config.load_settings or a subprocess)."""
    return pages_server.env()
