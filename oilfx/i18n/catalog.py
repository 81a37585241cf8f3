"""The gettext catalogs: `oilfx/locale/<lang>/LC_MESSAGES/*.po`, compiled in memory by Babel when first used.

The .po files are the source of truth, so there is no compiled .mo file to forget to rebuild: each language's
files are read with Babel, merged (a msgid appears in one file only; tests/test_i18n_catalogs.py checks it) and
written as one .mo into memory for the standard library's GNUTranslations, which does the lookups and plural forms.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from oilfx.i18n.lang import Lang

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "oilfx"


def po_files(lang: Lang) -> list[Path]:
    return sorted((LOCALE_DIR / lang.value / "LC_MESSAGES").glob("*.po"))


def read_catalog(lang: Lang) -> Catalog:
    """Every .po file of `lang` as one Babel catalog."""
    merged = Catalog(locale=lang.value, domain=DOMAIN)
    for path in po_files(lang):
        with path.open("rb") as f:
            part = read_po(f, locale=lang.value, domain=DOMAIN)
        for message in part:
            if message.id:
                merged[message.id] = message
    return merged



@functools.cache
def translations(lang: Lang) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (cached: read once per process). English is the msgids themselves (the catalog
    check holds every English msgstr to its msgid), so it needs no catalog: NullTranslations gives each msgid back,
    with English's one/other plural rule."""
    if lang is Lang.EN:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(lang), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
