"""`python -m oilfx <command>`: quote, doctor, ask, store, feedback, history. Expected failures print one paragraph,
exit 1."""

from __future__ import annotations

import argparse
import importlib
import sys

from dotenv import load_dotenv

from oilfx.cli import COMMANDS
from oilfx.config import ConfigError, load_settings
from oilfx.logs import setup_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m oilfx", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"oilfx.cli.{name}").register(sub)
    for command in sub.choices.values():
        # Also after the subcommand (`quote --json -v`). SUPPRESS: an absent -v there keeps the top-level value
        # instead of resetting it to False.
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="log to stderr at DEBUG level")
    return parser


def main(argv: list[str] | None = None) -> int:
    load_dotenv()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"oilfx: configuration error: {e}", file=sys.stderr)
        return 2
    setup_logging("DEBUG" if args.verbose else "WARNING")
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
