"""What an operator's tools do with a bot's /healthz and /metrics: GET them (requests), parse the metrics with
prometheus_client's own text parser, and poll a condition on them until a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from prometheus_client.parser import text_string_to_metric_families

T = TypeVar("T")

Sample = tuple[str, frozenset[tuple[str, str]]]   # sample name, its labels


def get(url: str, timeout: float = 10.0) -> requests.Response:
    return requests.get(url, timeout=timeout)


def samples(text: str) -> dict[Sample, float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def families(text: str) -> dict[str, str]:
    """Every metric family of an exposition: name (counters without `_total`, as the parser gives them) -> type."""
    return {family.name: family.type for family in text_string_to_metric_families(text)}


def value(found: dict[Sample, float], name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet (a counter never incremented)."""
    return found.get((name, frozenset(labels.items())), 0.0)


def series(found: dict[Sample, float], name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in found.items() if n == name}


def scrape(base: str) -> dict[Sample, float]:
    response = get(base + "/metrics")
    assert response.status_code == 200, response.text
    return samples(response.text)


def poll(fetch: Callable[[], T], until: Callable[[T], Any], timeout: float = 20.0, what: str = "condition") -> T:
    """fetch() again until until(result) holds; the last result otherwise, after failing the test."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = fetch()
        except requests.ConnectionError:
            result = None  # type: ignore[assignment]   # not listening yet
        if result is not None and until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {_show(result)}")
        time.sleep(0.05)


def _show(result: Any) -> str:
    if isinstance(result, requests.Response):
        return f"HTTP {result.status_code} {result.text[:500]}"
    return repr(result)[:500]
