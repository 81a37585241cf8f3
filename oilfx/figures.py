"""Money in untrusted text: every currency amount however it is written, judged by kind against the figures the
tools produced, and removed whole when no tool produced it. One function, `scrub`, serves the finished answer
(guard.py) and the streamed one (slack/stream_text.py); `hold_from` says where a stream must wait so no amount is
ever split across two released pieces.

Matching runs on a normalised copy of the text, with a map back to the original so a removal replaces the span
the user would have seen: Markdown emphasis (`*`, `_`, `~`) and zero-width characters are dropped and each
character is NFKC-folded (`９７，３１０` -> `97,310`, `￦` -> `₩`). Amounts: plain (`97,310`, `97 310`) or Korean
units (`9만 7천`, `9.7만`, `3억 2천만`), with a won marker (`₩`, `W`, `KRW`, `원`, `won`, `Korean won`, a trailing
`₩`), a dollar marker (`$`, `US$`, `USD`, `달러`, `dollars`), or a rate context (`USD/KRW`, `환율`, `exchange
rate`, `1달러당`, `$1 =`, `/달러`, `per dollar`). Pure: no Slack, no engines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from oilfx.i18n import lazy
from oilfx.tools.result import Figure, FigureKind

# What stands where an unsourced amount was, in the reader's language (guard and stream pass it rendered);
# REMOVED is the English one.
REMOVED_MARK = lazy("[unverified figure removed]")
REMOVED = REMOVED_MARK.msgid
WON = "won"                       # the kind of a won amount in prose (per barrel or per litre: either may match)
USD, RATE = str(FigureKind.USD), str(FigureKind.RATE)   # a USD price and the rate: as the tools type them

_DROPPED = frozenset("*_~\u200b\u200c\u200d\u2060\ufeff")   # emphasis and zero-width characters
_DROP = str.maketrans(dict.fromkeys(_DROPPED))
_EMPHASIS = re.compile(r"[*_~]+")

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = r"[십백천]?[만억조]|[십백천]"
_TERM = rf"(?:{_NUM}) ?(?:{_UNIT})"
# not a date or a time ("2023-11-29", "11/29", "16:33")
AMOUNT = re.compile(rf"(?<![\d.,])(?:{_TERM}(?: ?{_TERM})*(?: ?(?:{_NUM}))?|(?:{_NUM}))(?!\d|[-/:]\d)")
_PARTS = re.compile(rf"({_NUM}) ?({_UNIT})?")
_SMALL = {"십": 10, "백": 100, "천": 1000}
_BIG = {"만": 10**4, "억": 10**8, "조": 10**12}

# A currency marker right before the number (W only when touching it: "W97,310").
_PREFIX = re.compile(r"(?:(?P<krw>₩|(?<![A-Za-z])KRW|(?P<w>(?<![A-Za-z])W))|(?P<usd>(?<![A-Za-z])US ?\$|\$|"
                     r"(?<![A-Za-z])USD)) ?\Z", re.I)
# ... or right after it (원 but not 원유 crude, 원칙, 원색; a sign or code followed by a number is that one's prefix).
_SUFFIX = re.compile(r" ?(?:(?P<krw>원(?![유칙색])|₩(?! ?\d)|KRW\b(?! ?\d)|(?:South )?(?:Korean )?won\b)|"
                     r"(?P<usd>달러|USD\b(?! ?\d)|(?:US )?dollars?\b))", re.I)
_PER_DOLLAR = re.compile(r" ?(?:(?:/|per ) ?(?:US ?)?(?:달러|USD\b|dollars?\b|\$)|(?:exchange )?rate\b|환율)",
                         re.I)
# A bare number after a rate label is a rate only if it looks like one (not "환율은 2일 전", "환율 1.5%", "2026년").
_NOT_A_RATE = re.compile(r" ?(?:%|년|월|일|시|분|초)")
# "1 USD =", "$1:", "1달러당": the dollar a rate is quoted against, not a USD price
_ANCHOR = re.compile(r" ?(?:=|:|→|당|에|is\b|equals\b|buys\b)", re.I)
_RATE_LABEL = re.compile(
    r"(?:USD ?/ ?KRW|KRW ?/ ?USD|원 ?/ ?달러|달러 ?/ ?원|환율|exchange rate|FX rate|(?:US ?)?\$ ?1(?![\d.,])|"
    r"(?<![\d.,])1 ?(?:USD|US ?dollars?|dollars?|달러)|×|(?<![A-Za-z])x)"
    r"(?: ?(?:=|:|→|\(|\)|,|is\b|was\b|of\b|at\b|rate\b|now\b|currently\b|today\b|stands\b|은|는|이|가|당|에|약|"
    r"대략|about\b|around\b|approximately\b|roughly\b))* ?\Z", re.I)

_CURRENCY_WORDS = ["원", "₩", "krw", "won", "korean won", "south korean won", "달러", "usd", "dollar", "dollars",
                   "us dollar", "us dollars"]
_RATE_WORDS = ["/달러", "/usd", "/$", "/ 달러", "/ usd", "per dollar", "per us dollar", "per usd", "per $", "rate",
               "exchange rate", "환율"]
_ANCHOR_WORDS = ["=", ":", "→", "당", "에", "is", "equals", "buys"]


def _prefixes(words: Iterable[str]) -> str:
    """A regex for any prefix (the empty one included) of any of `words`."""
    alts = sorted({w[:i] for w in words for i in range(1, len(w) + 1)}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(a) for a in alts) + ")?"


def _seq_prefix(parts: list[list[str]]) -> str:
    """Any prefix of `part1? part2? ...`, each part a choice of words, parts separated by an optional space."""
    if not parts:
        return ""
    full = "(?:" + "|".join(re.escape(w) for w in parts[0]) + ")"
    return rf"(?:{_prefixes(parts[0])}|{full}? ?{_seq_prefix(parts[1:])})"


# What may still follow a number and change how it is read: more digits or units (or a date's "-"), a currency
# word, "per dollar", an anchor ("1 USD ="). A stream holds a number back while what follows could still be one.
_GROWING = re.compile(rf"(?:(?:₩|US ?\$|\$|(?<![A-Za-z])(?:USD|KRW|W)) ?)?\d[\d,. 만억조천백십:/-]*"
                      rf" ?{_seq_prefix([_CURRENCY_WORDS, _RATE_WORDS, _ANCHOR_WORDS])} ?\Z", re.I)
# A currency marker (or the start of one) waiting for its number.
_OPEN_PREFIX = re.compile(r"(?:₩|\$|(?<![A-Za-z])(?:U|US|USD|US ?\$|K|KR|KRW|W)) ?\Z", re.I)


@dataclass(frozen=True)
class Amount:
    start: int          # span in the original text, from its first character to its last (markers included)
    end: int
    kind: str           # WON, USD or RATE
    value: Decimal
    text: str           # as written
    number: int         # where its number starts

    def replacement(self, marker: str = REMOVED) -> str:
        """`marker`, keeping the emphasis markers written inside the span on their side of the number, so the
        text around stays balanced: `₩**97,310**` -> `**[…]**` (the span is `₩**97,310`)."""
        cut = self.number - self.start
        return ("".join(_EMPHASIS.findall(self.text[:cut])) + marker
                + "".join(_EMPHASIS.findall(self.text[cut:])))


@dataclass(frozen=True)
class Allowed:
    """The figures a turn's tools produced, by kind, each with its displayed rounding."""

    by_kind: dict[str, frozenset[Decimal]] = field(default_factory=dict)

    def __contains__(self, amount: object) -> bool:
        return isinstance(amount, Amount) and amount.value in self.by_kind.get(amount.kind, frozenset())


def _round(value: Decimal, step: str) -> Decimal:
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


def allowed(figures: Iterable[Figure]) -> Allowed:
    """The tools' exact figures -> what prose may show: the exact value, or as a tool displays it (whole won per
    barrel, or two decimals as in its formula; two decimals per litre, for USD and for the rate). Both won kinds
    count as won."""
    by_kind: dict[str, set[Decimal]] = {WON: set(), USD: set(), RATE: set()}
    for figure in figures:
        value = figure.value
        if not isinstance(value, Decimal) or not value.is_finite():
            continue
        # a change is signed ("-$3.15"); prose writes its size with the sign or direction outside the number
        # ("fell $3.15", "3.15달러 하락"), and a number is read unsigned
        value = abs(value)
        if figure.kind is FigureKind.KRW:   # whole won as displayed, two decimals as the formula prints its result
            by_kind[WON] |= {value, _round(value, "1"), _round(value, "0.01")}
        elif figure.kind is FigureKind.KRW_PER_LITRE:
            by_kind[WON] |= {value, _round(value, "0.01")}
        elif figure.kind in (FigureKind.USD, FigureKind.RATE):
            by_kind[str(figure.kind)] |= {value, _round(value, "0.01")}
    return Allowed({k: frozenset(v) for k, v in by_kind.items()})


def normalise(text: str) -> tuple[str, list[int]]:
    """(the text as matched, the original index of each of its characters)."""
    # A stream is read again at every flush (figures.find, hold_from): most text needs no change, and telling so
    # in C spares the character loop. A string that is NFKC as a whole has every character NFKC on its own.
    if _DROPPED.isdisjoint(text):
        if text.isascii() or unicodedata.is_normalized("NFKC", text):
            return text, list(range(len(text)))
        return _normalise_each(text)
    kept = text.translate(_DROP)   # emphasis around a figure ("**₩98,492**") is common in answers
    if kept.isascii() or unicodedata.is_normalized("NFKC", kept):
        return kept, [i for i, ch in enumerate(text) if ch not in _DROPPED]
    return _normalise_each(text)


def _normalise_each(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DROPPED:
            continue
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def _value(number: str) -> Decimal | None:
    total, small = Decimal(0), Decimal(0)
    try:
        for digits, unit in _PARTS.findall(number):
            n = Decimal(digits.replace(",", "").replace(" ", ""))
            if not unit:
                small += n
            elif unit[-1] in _BIG:
                total += (small + n * _SMALL.get(unit[0], 1) if len(unit) == 2 else small + n) * _BIG[unit[-1]]
                small = Decimal(0)
            else:
                small += n * _SMALL[unit]
    except InvalidOperation:
        return None
    return total + small


def find(text: str, before: str = "", after: str = "") -> list[Amount]:
    """Every currency amount in `text`. A stream's piece is read between `before` (the text released earlier: a
    rate label) and `after` (the text held back: what follows the piece's last number); neither is matched."""
    whole = before + text + after
    norm, origin = normalise(whole)
    offset, limit = len(before), len(before) + len(text)
    found: list[Amount] = []
    last = 0                                  # where the previous amount ended: its marker is not this one's
    for m in AMOUNT.finditer(norm):
        if origin[m.start()] < offset:
            continue
        if origin[m.start()] >= limit:
            break
        start, end = m.start(), m.end()
        kind = None
        pre = _PREFIX.search(norm, max(0, start - 6), start)
        # "USD/KRW 1,289.00": the KRW belongs to the label, not to the number
        label = _RATE_LABEL.search(norm, max(0, start - 60), start)
        if pre and pre.group("w") and pre.end() > pre.start() + 1:
            pre = None  # "W 97" is not won; only "W97,310" is
        if pre and not label and origin[pre.start()] >= offset and pre.start() >= last:
            kind, start = (WON if pre.group("krw") else USD), pre.start()
            label = _RATE_LABEL.search(norm, max(0, start - 60), start)
        suf = _SUFFIX.match(norm, end)
        if suf:
            kind = WON if suf.group("krw") else (kind or USD)
            end = suf.end()
        value = _value(m.group(0))
        if value is None:
            continue
        if kind == USD and value == 1 and _ANCHOR.match(norm, end):
            continue  # "1 USD = ₩1,289": the rate follows
        per = _PER_DOLLAR.match(norm, end)
        if label and kind is None and (value < 100 or _NOT_A_RATE.match(norm, end)):
            label = None
        if per or label:
            kind, end = RATE, per.end() if per else end
        if kind is None:
            continue
        last = end
        a, b = origin[start], min(origin[end - 1] + 1, limit)
        found.append(Amount(a - offset, b - offset, kind, value, whole[a:b], origin[m.start()] - offset))
    return found


def scrub(text: str, sourced: Allowed, before: str = "", after: str = "",
          marker: str = REMOVED) -> tuple[str, list[str]]:
    """(`text` with every amount no tool produced replaced by `marker`, the amounts removed as written); `before`
    and `after`: see find. A streamed answer and its final text are scrubbed with the same marker."""
    out: list[str] = []
    removed: list[str] = []
    last = 0
    for amount in find(text, before, after):
        if amount in sourced:
            continue
        out.append(text[last:amount.start])
        out.append(amount.replacement(marker))
        removed.append(amount.text)
        last = amount.end
    out.append(text[last:])
    return "".join(out), removed


def hold_from(text: str) -> int:
    """Where the tail of a stream that could still grow into (or change) an amount begins: len(text) if none."""
    if text and text[-1] in _DROPPED:
        # emphasis at the very end may open a figure, and is invisible to what comes before it: "9won**" + "98"
        # reads as "9won98", so hold it, and whatever the text without it would hold
        return hold_from(text.rstrip("".join(_DROPPED)))
    norm, origin = normalise(text)
    cut = len(norm)
    for pattern in (_GROWING, _OPEN_PREFIX):
        m = pattern.search(norm, max(0, len(norm) - 200))
        if m and m.start() < cut:
            cut = m.start()
    start = origin[cut] if cut < len(norm) else len(text)
    while start > 0 and text[start - 1] in _DROPPED:   # emphasis before a figure goes with it
        start -= 1
    return start
