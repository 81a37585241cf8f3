"""Charts of price history: a PNG line chart drawn from `Series` (oilfx.market.history) with matplotlib's Agg
backend, through the object-oriented Figure API only (turns draw on many threads; pyplot's global state is never
touched), with a Korean font that ships in a package, not one the machine happens to have."""

from oilfx.charts.render import render_png
from oilfx.charts.summary import format_value, summary_line

__all__ = ["format_value", "render_png", "summary_line"]
