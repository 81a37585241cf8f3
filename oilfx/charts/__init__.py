"""Charts of price history: a PNG line chart drawn from `Series` (oilfx.market.history) with matplotlib's Agg
backend, through the object-oriented Figure API only (turns draw on many threads; pyplot's global state is never
touched), with a Korean font that ships in a package, not one the machine happens to have."""

from __future__ import annotations

from collections.abc import Sequence

from oilfx.charts.summary import NothingToDraw, format_value, summary_line
from oilfx.i18n import Texts
from oilfx.market.history.series import Series


def render_png(series: Sequence[Series], texts: Texts, title: str | None = None) -> bytes:
    """The chart as PNG bytes, its words in `texts`' language (oilfx.charts.render.render_png). matplotlib is
    imported on the first chart, not when the bot starts: it costs ~0.4 s of start-up that most runs never need."""
    from oilfx.charts.render import render_png as draw

    return draw(series, texts, title)


__all__ = ["NothingToDraw", "format_value", "render_png", "summary_line"]
