"""The ko and en catalogs match the code: every string the code marks for translation has an entry in both
languages, no entry is left that no code uses, no translation is empty, and each keeps its msgid's placeholders."""

from __future__ import annotations

import pytest

from oilfx.i18n import EN, KO, Lang, lazy, lazy_n
from oilfx.i18n.catalog import read_catalog
from oilfx.i18n.catalogs import check, extract, placeholders


def test_catalogs_match_the_code() -> None:
    problems = check()
    assert problems == [], "run `python -m oilfx.i18n.catalogs update`, then translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", list(Lang))
def test_every_extracted_string_is_translated_in_each_language(lang: Lang) -> None:
    catalog = read_catalog(lang)
    for found in extract().values():
        message = catalog.get(found.msgid)
        assert message is not None, f"{lang}: {found.msgid!r} ({found.where})"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: {found.msgid!r} is empty"


def test_korean_is_korean() -> None:
    """A Korean entry that still reads as its English msgid was not translated (names such as WTI excepted, and
    the joins of a list, `{item}, {rest}`, whose only words are placeholder names)."""
    import re

    catalog = read_catalog(Lang.KO)
    same = [m.id for m in catalog if m.id and isinstance(m.string, str) and m.string == m.id
            and any(c.islower() for c in re.sub(r"\{[^{}]*\}", "", m.id)) and " " in m.id]
    assert same == []


KO_PO = """\
msgid "Kept {price}"
msgstr "유지"

msgid "Gone"
msgstr "없음"

msgid "{count} alert"
msgstr "알림 {count}개"

msgid "Price {price}"
msgstr "가격 {price}원}"

msgid "{count} more"
msgid_plural "{count} more"
msgstr[0] "더 있음"
"""
EN_PO = """\
msgid "Kept {price}"
msgstr "Kept {price}"

msgid "Gone"
msgstr "Gone"

msgid "{count} alert"
msgstr "{count} alert"

msgid "Price {price}"
msgstr "The price {price}"

msgid "{count} more"
msgid_plural "{count} more"
msgstr[0] "one more"
msgstr[1] "{count} more"
"""


def test_the_check_finds_each_kind_of_broken_entry(tmp_path, monkeypatch) -> None:
    """check() itself, on a catalog directory with one entry of each fault: missing, unused, a lost placeholder, a
    singular in the catalog for n() in the code, a stray brace, a count left out where Korean needs it, and an
    English msgstr that is not its msgid (str(msg) would no longer be what the model reads)."""
    from oilfx.i18n import catalog as catalog_module
    from oilfx.i18n import catalogs

    source = tmp_path / "oilfx" / "mod.py"
    source.parent.mkdir()
    source.write_text('x = t("Kept {price}")\ny = lazy("New one")\nz = n("{count} alert", "{count} alerts", 2)\n'
                      'w = t("Price {price}", price=1)\nv = lazy_n("{count} more", "{count} more", 3)\n',
                      encoding="utf-8")
    for lang, body in ((Lang.KO, KO_PO), (Lang.EN, EN_PO)):
        folder = tmp_path / "locale" / lang.value / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "oilfx.po").write_text(body, encoding="utf-8")
    monkeypatch.setattr(catalogs, "source_files", lambda: [source])
    monkeypatch.setattr(catalogs, "ROOT", tmp_path)
    monkeypatch.setattr(catalog_module, "LOCALE_DIR", tmp_path / "locale")
    problems = check()
    text = "\n".join(problems)
    assert "ko/oilfx.po: 'Kept {price}' translation '유지' has placeholders [], the msgid ['price']" in text
    assert "ko/oilfx.po: 'Gone' is not used by any code" in text and "en/oilfx.po: 'Gone' is not used" in text
    assert "ko: 'New one' (oilfx/mod.py:2) has no entry" in text and "en: 'New one' (oilfx/mod.py:2)" in text
    assert "ko/oilfx.po: '{count} alert' is a plural in the code (oilfx/mod.py:3) but not in the catalog" in text
    assert "ko/oilfx.po: 'Price {price}' translation '가격 {price}원}' cannot be formatted" in text
    assert "ko/oilfx.po: '{count} more' translation '더 있음' has placeholders [], the msgid ['count']" in text
    assert not any("'one more'" in p for p in problems)      # English's singular may leave the count out
    assert "en/oilfx.po: 'Price {price}': the English msgstr must equal the msgid" in text


def test_placeholders_are_named_and_kept() -> None:
    assert placeholders("{benchmark} is {price:>8} per barrel, {{not one}}") == {"benchmark", "price"}


def test_a_msg_renders_in_either_language_with_translated_arguments() -> None:
    dubai = lazy("Dubai")
    assert KO.render(dubai) == "두바이유" and EN.render(dubai) == "Dubai" and str(dubai) == "Dubai"
    assert KO.render(lazy("Brent")) == "브렌트유"
    assert lazy_n("x", "y", 2) == lazy_n("x", "y", 2)   # hashable by value: sources are de-duplicated


def _keyword_calls():
    """Every call of t/n/lazy/lazy_n in oilfx/ and bot.py (as a method or a function), read with ast."""
    import ast

    from oilfx.i18n.catalogs import KEYWORDS, ROOT, source_files

    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in KEYWORDS:
                    yield path.relative_to(ROOT), node


def test_every_translated_call_is_extracted() -> None:
    """Babel's extractor silently skips some calls (one inside an f-string, or with a variable named `t` or `n` among
    its arguments), and a skipped sentence shows in English to a Korean reader;
    the parsed source must agree with it: every t/n/lazy/lazy_n call with a literal msgid is in the catalogs, and
    only oilfx/i18n itself passes a msgid that is not a literal."""
    import ast

    found = extract()
    missed, dynamic = [], []
    for path, call in _keyword_calls():
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if first.value not in found:
                missed.append(f"{path}:{call.lineno} {first.value!r}")
        elif first is not None and not str(path).startswith("oilfx/i18n/"):
            dynamic.append(f"{path}:{call.lineno}")
    assert missed == [], "Babel skipped these: move each call out of its f-string, or rename a t/n argument"
    assert dynamic == [], "a msgid must be a string literal (Babel cannot extract anything else)"
