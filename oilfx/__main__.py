"""`python -m oilfx <command>`: quote, doctor, ask, store, feedback, history. Expected failures print one paragraph,
exit 1. Human output is in `--lang` (ko or en), else OILFX_LANG's language (default ko); `--json` and `--csv` are
the same in both."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys

from dotenv import load_dotenv

from oilfx.cli import COMMANDS
from oilfx.config import ConfigError, load_settings
from oilfx.i18n import Lang, texts
from oilfx.logs import setup_logging


def _lang(value: str) -> Lang:
    lang = Lang.parse(value)
    if lang is None or value.lower() not in {"ko", "en"}:
        raise argparse.ArgumentTypeError(f"expected ko or en, got {value!r}")
    return lang


def _commands(sub: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """Every subcommand's parser, the nested ones too (`store stats`)."""
    found = []
    for parser in sub.choices.values():
        found.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += _commands(action)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m oilfx", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr at DEBUG level")
    parser.add_argument("--lang", type=_lang, default=None, metavar="ko|en",
                        help="language of the human output (default: OILFX_LANG, else ko)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"oilfx.cli.{name}").register(sub)
    for command in _commands(sub):
        # Also after the subcommand (`quote --json -v`, `store stats --lang en`). SUPPRESS: an absent -v there
        # keeps the top-level value instead of resetting it to False.
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="log to stderr at DEBUG level")
        command.add_argument("--lang", type=_lang, default=argparse.SUPPRESS, metavar="ko|en",
                             help="language of the human output (default: OILFX_LANG, else ko)")
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        # No settings to read the language from: --lang, else OILFX_LANG if it is one, else the default.
        lang = args.lang or Lang.parse(os.environ.get("OILFX_LANG")) or Lang.KO
        print(texts(lang).t("oilfx: configuration error: {error}", error=e), file=sys.stderr)
        return 2
    if args.lang is not None:
        settings = dataclasses.replace(settings, lang=args.lang)
    setup_logging("DEBUG" if args.verbose else "WARNING")
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
