"""Slash commands: `/oilprice`."""

from __future__ import annotations

from slack_bolt import App

from oilfx.slack.deps import Deps
from oilfx.slack.listeners.commands.oilprice import OILPRICE, oilprice_callback

# The commands registered here; tests/test_manifest.py checks each is declared in manifest.yml.
COMMANDS = (OILPRICE,)


def register(app: App, deps: Deps) -> None:
    app.command(OILPRICE)(oilprice_callback(deps))
