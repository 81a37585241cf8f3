"""A price condition ("Brent > 80", "WTI krw > 100000", "Dubai krw/l < 600") and its value on a quote.

Used by alerts: the Slack command and the model's tool parse into it, the store keeps it, the checker evaluates
it. Exact Decimal throughout; the value compared is the unrounded product (the quote's own arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from oilfx.market.history.series import Unit
from oilfx.market.quote import Quote


class Direction(Enum):
    ABOVE = ">"
    BELOW = "<"


@dataclass(frozen=True)
class Rule:
    benchmark: str        # canonical: "Dubai", "WTI", "Brent"
    unit: Unit
    direction: Direction
    threshold: Decimal

    def value(self, quote: Quote) -> Decimal:
        """The benchmark's value in this rule's unit; KeyError when the quote lacks the benchmark."""
        if self.unit is Unit.USD:
            return quote.oil[self.benchmark].usd
        if self.unit is Unit.KRW_PER_BARREL:
            return quote.krw_per_barrel(self.benchmark)
        return quote.krw_per_litre(self.benchmark)

    def holds(self, value: Decimal) -> bool:
        return value > self.threshold if self.direction is Direction.ABOVE else value < self.threshold

    def to_dict(self) -> dict[str, str]:
        return {"benchmark": self.benchmark, "unit": self.unit.value, "direction": self.direction.value,
                "threshold": str(self.threshold)}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Rule:
        return cls(data["benchmark"], Unit(data["unit"]), Direction(data["direction"]), Decimal(data["threshold"]))
