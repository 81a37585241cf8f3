"""oilfx: what crude oil costs right now in Korean won, with sources and the arithmetic shown."""

__version__ = "0.1.0"
