"""Several whole entries as one Text: "a; b; c", "a · b", "a, b", or sentences one after another. A list, not a
sentence glued from fragments: each item is an entry of its own, and each join is a catalog entry too, so a
language may write its lists differently (Korean joins "; " items with " · ")."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from oilfx.i18n.message import Msg, Text, lazy


class Join(Enum):
    SEMICOLON = "; "
    DOT = " · "
    COMMA = ", "
    SENTENCES = " "


def _pair(join: Join, first: Text, rest: Text) -> Msg:
    # one literal msgid per join, where Babel's extractor finds it
    if join is Join.SEMICOLON:
        return lazy("{first}; {rest}", first=first, rest=rest)
    if join is Join.DOT:
        return lazy("{first} · {rest}", first=first, rest=rest)
    if join is Join.COMMA:
        return lazy("{item}, {rest}", item=first, rest=rest)
    return lazy("{sentence} {rest}", sentence=first, rest=rest)


def joined(items: Sequence[Text], join: Join = Join.SEMICOLON) -> Text:
    """`items` joined by `join`, in the reader's language once rendered; "" for none, the item itself for one."""
    if not items:
        return ""
    text = items[-1]
    for item in reversed(items[:-1]):
        text = _pair(join, item, text)
    return text
