"""Dates and times as each language writes them, always in KST.

Korean follows Korean finance pages: `2026년 11월 24일`, `오후 4:33 KST`, both together for a moment. English keeps
the ISO forms oilfx always showed: `2026-11-24`, `16:33 KST`, `2026-11-24 16:33 KST`. Babel's CLDR data gives the
Korean forms (년/월/일, 오전/오후), so nothing here spells a month or a day period by hand.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time

from oilfx.i18n.lang import Lang

KST = ZoneInfo("Asia/Seoul")


def _kst(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time shown to users must carry its time zone")
    return moment.astimezone(KST)


def format_day(day: date, lang: Lang) -> str:
    """`2026년 11월 24일` / `2026-11-24`. A datetime is shown as its KST day."""
    if isinstance(day, datetime):
        day = _kst(day).date()
    return _babel_date(day, "long", locale="ko") if lang is Lang.KO else day.isoformat()


def format_clock(moment: datetime, lang: Lang) -> str:
    """`오후 4:33 KST` / `16:33 KST`."""
    kst = _kst(moment)
    clock = _babel_time(kst, "a h:mm", locale="ko") if lang is Lang.KO else kst.strftime("%H:%M")
    return f"{clock} KST"


def format_moment(moment: datetime, lang: Lang) -> str:
    """`2026년 11월 24일 오후 4:33 KST` / `2026-11-24 16:33 KST`."""
    return f"{format_day(moment, lang)} {format_clock(moment, lang)}"


def display_width(text: str) -> int:
    """Columns `text` takes in a monospace font (a terminal, a Slack code block): East Asian wide and full-width
    characters (Hangul, 원) take two, combining marks none. Korean tables line up by this, not by len()."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def rjust(text: str, width: int) -> str:
    return " " * max(0, width - display_width(text)) + text
