"""What a tool produced, typed: the compact JSON the model reads, and for everyone else the exact figures with
their kind, the sources, the formula, a failure, a title and a one-line summary. The guard (figures.py) compares
the model's prose against `figures`; Slack shows `title` and `summary`; nobody parses a display string back."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from oilfx.i18n import Text, lazy
from oilfx.i18n.joins import joined
from oilfx.market.history.series import ChartRequest


class FigureKind(StrEnum):
    """What a figure measures: the guard matches prose by kind (a rate is never a won amount, a USD price never
    a rate). StrEnum, so a kind still equals the string the guard's tables use."""

    KRW = "krw"                        # won per barrel, displayed in whole won
    KRW_PER_LITRE = "krw_per_litre"    # won per litre, displayed with two decimals
    USD = "usd"                        # a USD price, two decimals
    RATE = "rate"                      # USD/KRW, two decimals


@dataclass(frozen=True)
class Figure:
    kind: FigureKind
    value: Decimal       # exact, as computed
    display: str         # as the tool shows it ("₩98,492", "$76.41", "1,289.00")


@dataclass(frozen=True)
class Source:
    """Hashable (answers list each source once). `label` and `as_of` are Text: a Msg carrying the real date or
    time, rendered in the reader's language by whoever shows it; `str()` is the English/ISO form the model reads."""

    label: Text          # what it priced: benchmark_name("WTI"), "USD/KRW", a KNOC product as published ("휘발유")
    source: str          # who published it ("Opinet", "Naver (하나은행)", "KNOC"): data, never translated
    as_of: Text          # when: lazy("{day} settlement", day=date), lazy("{moment}", moment=datetime)


class FailureKind(Enum):
    CALL = "call"        # the model's call was wrong: unknown tool, bad arguments
    DATA = "data"        # the tool ran and its market data failed (the user must learn which sources were tried)


@dataclass(frozen=True)
class ToolFailure:
    kind: FailureKind
    message: Text        # a Msg for our own words; str(message) is what the model reads (payload "error")


@dataclass(frozen=True)
class ToolResult:
    payload: dict[str, Any] = field(default_factory=dict)   # compact JSON for the model (registry.call)
    figures: tuple[Figure, ...] = ()                         # the first one is the headline when there is a formula
    sources: tuple[Source, ...] = ()
    formula: Text = ""                                       # str(formula) is the payload's (ISO dates)
    failure: ToolFailure | None = None
    title: Text = ""                                         # what the call did, set by the registry (describe)
    chart: ChartRequest | None = None                        # a chart the bot draws and attaches to the answer
    headline: Text = ""                                      # the summary in the tool's words (create_alert)

    @staticmethod
    def failed(kind: FailureKind, message: Text, title: Text = "") -> ToolResult:
        return ToolResult({"error": str(message)}, failure=ToolFailure(kind, message), title=title)

    @property
    def summary(self) -> Text:
        """One line: the failure, the headline figure with its formula, or each figure with its source. Text, so
        the reader's `Texts.render(summary)` gives it in their language (dates too) and `str()` gives English."""
        if self.failure is not None:
            return self.failure.message
        if self.headline:
            return self.headline
        if self.formula:
            return lazy("{figure} ({formula})", figure=self.figures[0].display, formula=self.formula) \
                if self.figures else self.formula
        if self.sources and len(self.figures) == len(self.sources):
            return joined([lazy("{label} {price} ({source}, {as_of})", label=s.label, price=f.display,
                                source=s.source, as_of=s.as_of)
                           for s, f in zip(self.sources, self.figures, strict=True)])
        return joined([lazy("{source} ({as_of})", source=s.source, as_of=s.as_of) for s in self.sources]) \
            or lazy("done")

    def as_json(self) -> dict[str, Any]:
        """The display data as JSON (`ask --json`): sources, figures as shown, exact values, formula, error."""
        out: dict[str, Any] = {"sources": [{"label": str(s.label), "source": s.source, "as_of": str(s.as_of)}
                                           for s in self.sources],
                               "figures": [f.display for f in self.figures],
                               "values": [[str(f.kind), str(f.value)] for f in self.figures]}
        if self.formula:
            out["formula"] = str(self.formula)
        if self.failure is not None:
            out["error"] = str(self.failure.message)
        return out


__all__ = ["FailureKind", "Figure", "FigureKind", "Source", "ToolFailure", "ToolResult"]
