"""Move crude prices on the pages fake: Opinet's CSV fixture with its latest row's settlements replaced.

    set_prices(pages, Brent="80.50")     # Opinet now says Brent settled at 80.50 on the fixture's latest day

The rest of the fixture (earlier days, the other benchmarks, the encoding and content type) stays as served.
"""

from __future__ import annotations

from tests.fakes.pages import DEFAULT_ROUTES, OPINET_PATH, PagesServer, fixture_bytes

ENCODING = "cp949"  # Opinet's CSV download (tests/fixtures/pages/README.md)


def fixture_rows() -> list[dict[str, str]]:
    """The fixture's rows, oldest first: {"기간": ..., "Dubai": ..., "Brent": ..., "WTI": ...} ("-": no value)."""
    name, _ = DEFAULT_ROUTES[OPINET_PATH]
    header, *lines = fixture_bytes(name).decode(ENCODING).splitlines()
    return [dict(zip(header.split(","), line.split(","), strict=True)) for line in lines]


def opinet_csv(**prices: str) -> bytes:
    name, _ = DEFAULT_ROUTES[OPINET_PATH]
    lines = fixture_bytes(name).decode(ENCODING).splitlines()
    header = lines[0].split(",")
    last = lines[-1].split(",")
    for benchmark, value in prices.items():
        last[header.index(benchmark)] = value
    lines[-1] = ",".join(last)
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def set_prices(pages: PagesServer, **prices: str) -> None:
    pages.set(OPINET_PATH, body=opinet_csv(**prices))
