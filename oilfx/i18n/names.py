"""Names users read for the things oilfx prices: 두바이유, WTI, 브렌트유."""

from __future__ import annotations

from oilfx.i18n.message import Msg, lazy

BENCHMARK_NAMES: dict[str, Msg] = {
    "Dubai": lazy("Dubai"),
    "WTI": lazy("WTI"),
    "Brent": lazy("Brent"),
}


def benchmark_name(benchmark: str) -> Msg | str:
    """The benchmark's name to translate; an unknown one (the model's spelling) as it is."""
    return BENCHMARK_NAMES.get(str(benchmark), str(benchmark))
