"""Why market data could not be had: one reason per source, in words an operator can act on."""

from __future__ import annotations

from oilfx.i18n import Msg, Text, lazy
from oilfx.i18n.joins import joined

# What could not be had, in words to translate (the sources' own reasons stay as they said them: HTTP 503, ...).
WHAT: dict[str, Msg] = {
    "no crude prices": lazy("no crude prices"),
    "no pump prices": lazy("no pump prices"),
    "no USD/KRW rate": lazy("no USD/KRW rate"),
}


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

    def __init__(self, what: Text, failures: list[tuple[str, str]]) -> None:
        self.what = str(what)          # English, as logs, the model and the cache (redis_cache.py) keep it
        self._what = what if not isinstance(what, str) else WHAT.get(what, what)
        self.failures = list(failures)
        detail = "; ".join(f"{source}: {reason}" for source, reason in self.failures) or "no source configured"
        super().__init__(f"{what}: {detail}")
        self.parts: tuple[MarketUnavailable, ...] = (self,)

    @property
    def text(self) -> Text:
        """str(e) for users: what could not be had in their words, each source's reason as the source gave it."""
        texts: list[Text] = []
        for part in self.parts:
            detail = "; ".join(f"{source}: {reason}" for source, reason in part.failures)
            what = part._what
            texts.append(lazy("{what}: {detail}", what=what, detail=detail) if detail
                         else lazy("{what}: no source configured", what=what))
        return joined(texts)

    @classmethod
    def combine(cls, first: MarketUnavailable, second: MarketUnavailable) -> MarketUnavailable:
        """Oil and FX both failed: one error naming every source's failure."""
        combined = cls(first.what, first.failures + second.failures)
        combined.args = (f"{first}; {second}",)
        combined.parts = first.parts + second.parts
        return combined
