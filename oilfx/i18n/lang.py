"""The two languages oilfx writes, and the language a question is written in."""

from __future__ import annotations

import re
from enum import StrEnum


class Lang(StrEnum):
    KO = "ko"
    EN = "en"

    @classmethod
    def parse(cls, value: str | None) -> Lang | None:
        """`ko`, `en`, or a Slack/BCP 47 locale (`ko-KR`, `en-US`, `en_GB`); None for anything else."""
        head = re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]
        return {"ko": cls.KO, "kr": cls.KO, "en": cls.EN, "한국어": cls.KO, "영어": cls.EN}.get(head)


_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_WORD = re.compile(r"[A-Za-z][a-z]+")   # an English word: not a ticker such as WTI, USD or KRW
# Words a Korean question borrows or a Slack message carries whatever its language: they prove nothing.
_NEUTRAL = {"oilfx", "steps", "step", "dubai", "brent", "wti", "usd", "krw", "bbl", "oilprice", "help"}
_ENGLISH_WORDS = 2
_EMOJI = re.compile(r":[\w+'-]+:")


def question_lang(text: str) -> Lang | None:
    """The language a question is written in: any Hangul makes it Korean; two or more English words and no Hangul
    make it English; a question of tickers, numbers and mentions alone says nothing (None)."""
    if _HANGUL.search(text):
        return Lang.KO
    # mentions (<@U1>, <#C1|x>, <!here>) and emoji shortcodes (:pray:, :+1:) are in no language
    plain = _EMOJI.sub(" ", re.sub(r"<[^>]*>", " ", text))
    words = [w for w in _WORD.findall(plain) if w.lower() not in _NEUTRAL]
    return Lang.EN if len(words) >= _ENGLISH_WORDS else None
