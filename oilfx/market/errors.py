"""Why market data could not be had: one reason per source, in words an operator can act on."""

from __future__ import annotations


class SourceError(Exception):
    """One source failed; `reason` is short and specific ("HTTP 503", "timeout after 5 s")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MarketUnavailable(Exception):
    """Every source for a quantity failed.

    str(e): "no crude prices: opinet: HTTP 503; naver: HTTP 503; fred: timeout
    after 5 s". `failures` holds the (source name, reason) pairs in the order the sources were tried.
    """

    def __init__(self, what: str, failures: list[tuple[str, str]]) -> None:
        self.what = what
        self.failures = list(failures)
        detail = "; ".join(f"{source}: {reason}" for source, reason in self.failures) or "no source configured"
        super().__init__(f"{what}: {detail}")

    @classmethod
    def combine(cls, first: MarketUnavailable, second: MarketUnavailable) -> MarketUnavailable:
        """Oil and FX both failed: one error naming every source's failure."""
        combined = cls(first.what, first.failures + second.failures)
        combined.args = (f"{first}; {second}",)
        return combined
