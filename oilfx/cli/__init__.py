"""Subcommands of `python -m oilfx`. Each module exposes `register(subparsers)`, which adds its parser
and sets `func(args, settings) -> int` as the parser default."""

COMMANDS = ("quote", "doctor", "store", "ask", "feedback", "history")
