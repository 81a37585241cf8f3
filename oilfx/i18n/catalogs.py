"""Keeping the catalogs in step with the code: `python -m oilfx.i18n.catalogs update|check`.

`update` extracts every translatable string (Babel's Python extractor with our keywords, over oilfx/ and bot.py),
adds the new ones to the .po files (English msgstr = msgid; Korean left empty for a translator), drops the ones no
code uses any more, and rewrites the template oilfx/locale/oilfx.pot. `check` lists what is wrong: a string the code
uses with no entry, an entry no code uses, an empty or fuzzy translation, a translation whose {placeholders}
differ from its msgid's. tests/test_i18n_catalogs.py fails on any of them.
"""

from __future__ import annotations

import argparse
import re
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from oilfx.i18n.catalog import DOMAIN, LOCALE_DIR, po_files
from oilfx.i18n.lang import Lang

ROOT = LOCALE_DIR.parent.parent
KEYWORDS = {"t": None, "n": (1, 2), "lazy": None, "lazy_n": (1, 2)}
DEFAULT_PART = "oilfx"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


@dataclass(frozen=True)
class Found:
    msgid: str
    plural: str | None
    where: str   # path:line of its first use


def source_files() -> list[Path]:
    return sorted([*(ROOT / "oilfx").rglob("*.py"), ROOT / "bot.py"])


def extract(files: Iterable[Path] | None = None) -> dict[str, Found]:
    """Every translatable string the code uses, by msgid."""
    found: dict[str, Found] = {}
    for path in files if files is not None else source_files():
        for line, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS,
                                                                     comment_tags=(), strip_comment_tags=True):
            msgid, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
            if msgid and msgid not in found:
                found[msgid] = Found(msgid, plural, f"{path.relative_to(ROOT)}:{line}")
    return found


def _read(path: Path, lang: Lang) -> Catalog:
    if not path.exists():
        return _new(lang.value)
    with path.open("rb") as f:
        return read_po(f, locale=lang.value, domain=DOMAIN)


def _new(locale: str | None) -> Catalog:
    return Catalog(locale=locale, domain=DOMAIN, project="oilfx", version="", copyright_holder="oilfx",
                   msgid_bugs_address="", language_team="oilfx", last_translator="oilfx")


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True, no_location=True)


def _entry(found: Found, lang: Lang) -> Message:
    msgid = (found.msgid, found.plural) if found.plural else found.msgid
    if lang is Lang.EN:
        return Message(msgid, (found.msgid, found.plural) if found.plural else found.msgid,
                       flags=("python-brace-format",) if _PLACEHOLDER.search(found.msgid) else ())
    return Message(msgid, ("",) if found.plural else "",
                   flags=("python-brace-format",) if _PLACEHOLDER.search(found.msgid) else ())


def update(part: str = DEFAULT_PART, files: Iterable[Path] | None = None) -> dict[Lang, int]:
    """Add what `files` (default: all) use to the `part` .po of each language; with all files, also drop entries
    nothing uses. Returns how many entries each language gained."""
    used = extract()
    wanted = extract(files) if files is not None else used
    added: dict[Lang, int] = {}
    for lang in Lang:
        known = {m.id if isinstance(m.id, str) else m.id[0] for path in po_files(lang) for m in _read(path, lang)
                 if m.id}
        path = LOCALE_DIR / lang.value / "LC_MESSAGES" / f"{part}.po"
        catalog = _read(path, lang)
        added[lang] = 0
        for found in wanted.values():
            if found.msgid not in known:
                catalog[found.msgid] = _entry(found, lang)
                added[lang] += 1
        if files is None:
            for message in list(catalog):
                key = message.id if isinstance(message.id, str) else message.id[0] if message.id else ""
                if key and key not in used:
                    del catalog[key]
        _write(path, catalog)
    if files is None:   # the template lists everything: only a full update rewrites it
        _write_template(used)
    return added


def _write_template(used: dict[str, Found]) -> None:
    template = _new(None)
    for found in used.values():
        template.add((found.msgid, found.plural) if found.plural else found.msgid, locations=[
            (found.where.rsplit(":", 1)[0], int(found.where.rsplit(":", 1)[1]))])
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as f:
        write_po(f, template, width=0, sort_output=True)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check() -> list[str]:
    """Everything wrong with the catalogs, one line each; [] when they match the code."""
    used = extract()
    problems: list[str] = []
    for lang in Lang:
        seen: dict[str, Path] = {}
        for path in po_files(lang):
            for message in _read(path, lang):
                if message.id:
                    problems += _entry_problems(message, lang, path, used, seen)
        for found in used.values():
            if found.msgid not in seen:
                problems.append(f"{lang.value}: {found.msgid!r} ({found.where}) has no entry")
    return problems


def _entry_problems(message: Message, lang: Lang, path: Path, used: dict[str, Found],
                    seen: dict[str, Path]) -> list[str]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    key, where = ids[0], f"{lang.value}/{path.name}"
    problems = [f"{where}: {key!r} is also in {seen[key].name}"] if key in seen else []
    seen[key] = path
    found = used.get(key)
    if found is None:
        return [*problems, f"{where}: {key!r} is not used by any code"]
    if (found.plural or None) != (ids[1] if len(ids) > 1 else None):
        # n() in the code and a singular entry (or the reverse): gettext finds nothing and shows the msgid
        return [*problems, f"{where}: {key!r} is {'a plural' if found.plural else 'a singular'} in the code "
                           f"({found.where}) but not in the catalog: run update after deleting the entry"]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy or not all(strings):
        return [*problems, f"{where}: {key!r} has no {lang.value} translation"]
    if lang is Lang.EN and strings != ids:
        # str(msg) is the English the model, logs and --json read: it must be the msgid itself
        problems.append(f"{where}: {key!r}: the English msgstr must equal the msgid (fix the code's wording)")
    wanted = placeholders(" ".join(ids))
    for form, text in enumerate(strings):
        # only a singular form of a language with plural forms may leave the count out ("one alert")
        optional = {"count"} if len(strings) > 1 and form == 0 else set()
        if placeholders(text) - wanted or (wanted - optional) - placeholders(text):
            problems.append(f"{where}: {key!r} translation {text!r} has placeholders "
                            f"{sorted(placeholders(text))}, the msgid {sorted(wanted)}")
        elif error := _format_error(text, wanted):
            problems.append(f"{where}: {key!r} translation {text!r} cannot be formatted: {error}")
    return problems


def _format_error(text: str, names: set[str]) -> str | None:
    """Why str.format would fail on `text` (a stray brace, a spec or a conversion), None if it would not."""
    try:
        for _literal, field, _spec, conversion in string.Formatter().parse(text):
            if field is not None and (conversion or not field.isidentifier()):
                return f"field {field!r} is not a plain name"
        text.format(**{name: "x" for name in names})
    except (ValueError, KeyError, IndexError) as e:
        return str(e)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oilfx.i18n.catalogs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("update", help="add new strings to the catalogs; with no files, drop unused ones too")
    up.add_argument("--part", default=DEFAULT_PART, help="which .po file takes new entries (default oilfx)")
    up.add_argument("files", nargs="*", type=Path)
    sub.add_parser("check", help="list missing, unused and untranslated entries; exit 1 if any")
    args = parser.parse_args(argv)
    if args.command == "update":
        files = [f.resolve() for f in args.files] or None
        for lang, count in update(args.part, files).items():
            print(f"{lang.value}: {count} new entr{'y' if count == 1 else 'ies'} in {args.part}.po")
        return 0
    problems = check()
    print("\n".join(problems) or "catalogs match the code")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
