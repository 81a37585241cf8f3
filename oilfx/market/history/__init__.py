"""Daily price history: closes of Dubai, WTI and Brent (USD/bbl) and USD/KRW by date range, from sources with
fallbacks, and series in won that pair each oil date with that day's rate (or the latest before it).

`series.py` holds the types every layer above uses (the tool, the charts, the CLI, the Slack surfaces)."""

from oilfx.market.history.series import ChartRequest, Pairing, Period, Point, Series, Unit
from oilfx.market.history.summary import Summary, summarise

__all__ = ["ChartRequest", "Pairing", "Period", "Point", "Series", "Summary", "Unit", "summarise"]
