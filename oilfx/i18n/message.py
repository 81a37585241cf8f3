"""Text a user reads, in their language: `Texts` translates now, `Msg` later.

Every sentence is one catalog entry with named placeholders (`t("{benchmark} is {price} per barrel",
benchmark=..., price=...)`), never glued from translated fragments. A layer that does not know who will read its
words (tools, engines, the market) returns a `Msg`: the msgid and its arguments, translated where the reader is
known (oilfx/slack/, the CLI). `str(msg)` is the English text, for logs, the model's JSON and `--json` output.

Extraction (babel.cfg, scripts in oilfx/i18n/catalogs.py) knows four keywords: `t(msgid)`, `n(singular, plural,
count)` on a Texts, and `lazy(msgid)`, `lazy_n(singular, plural, count)` for a Msg.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from oilfx.i18n.catalog import translations
from oilfx.i18n.formats import format_day, format_moment
from oilfx.i18n.lang import Lang


@dataclass(frozen=True)
class Msg:
    """A sentence to translate later. Hashable (sources are de-duplicated by value), so arguments are a tuple."""

    msgid: str
    args: tuple[tuple[str, Any], ...] = ()
    plural: str | None = None
    count: int | None = None

    def __str__(self) -> str:
        return EN.render(self)

    def in_lang(self, lang: Lang) -> str:
        return Texts(lang).render(self)


Text = str | Msg   # what a lower layer hands up: our own words to translate, or data shown as it is


def lazy(msgid: str, /, **args: Any) -> Msg:
    return Msg(msgid, tuple(args.items()))


def lazy_n(singular: str, plural: str, count: int, /, **args: Any) -> Msg:
    return Msg(singular, tuple(args.items()), plural, count)


@dataclass(frozen=True)
class Texts:
    """Translation into one language: `t`, `n`, and `render` for a Msg, a date or a time."""

    lang: Lang

    def t(self, msgid: str, /, **args: Any) -> str:
        return self._format(translations(self.lang).gettext(msgid), args)

    def n(self, singular: str, plural: str, count: int, /, **args: Any) -> str:
        """A sentence with a count: `{count}` is available to both forms."""
        return self._format(translations(self.lang).ngettext(singular, plural, count), {"count": count, **args})

    def render(self, value: object) -> str:
        """A Msg translated, a date or datetime in this language's form (KST), anything else as str()."""
        if isinstance(value, Msg):
            if value.plural is not None and value.count is not None:
                return self.n(value.msgid, value.plural, value.count, **dict(value.args))
            return self.t(value.msgid, **dict(value.args))
        if isinstance(value, datetime):
            return format_moment(value, self.lang)
        if isinstance(value, date):
            return format_day(value, self.lang)
        return str(value)

    def _format(self, template: str, args: dict[str, Any]) -> str:
        if not args:
            return template
        return template.format(**{name: self.render(value) for name, value in args.items()})


KO = Texts(Lang.KO)
EN = Texts(Lang.EN)


def texts(lang: Lang | str) -> Texts:
    return KO if Lang(lang) is Lang.KO else EN
