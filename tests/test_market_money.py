"""Property tests: the displayed won figures never disagree with the exact Decimal product.

The expected rounding is computed independently, in integer arithmetic on cents, not with Decimal.quantize.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from oilfx.market import LITRES_PER_BARREL, format_krw, format_krw_litre, format_rate, krw_per_barrel, krw_per_litre

usd_cents = st.integers(min_value=1, max_value=500_00)            # $0.01 .. $500.00 per barrel
rate_cents = st.integers(min_value=500_00, max_value=3_000_00)    # ₩500.00 .. ₩3,000.00 per dollar


def _shown(text: str) -> Decimal:
    assert text.startswith("₩")
    return Decimal(text[1:].replace(",", ""))


def _half_up_div(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@given(usd_cents, rate_cents)
def test_per_barrel_display_is_the_exact_product_rounded_half_up(usd_c, rate_c):
    usd, rate = Decimal(usd_c) / 100, Decimal(rate_c) / 100
    exact = krw_per_barrel(usd, rate)
    assert exact == Decimal(usd_c * rate_c) / 10_000          # no precision lost
    shown = _shown(format_krw(exact))
    assert shown == _half_up_div(usd_c * rate_c, 10_000)
    assert abs(shown - exact) <= Decimal("0.5")


@given(usd_cents, rate_cents)
def test_per_litre_display_is_within_half_a_jeon_of_the_exact_value(usd_c, rate_c):
    usd, rate = Decimal(usd_c) / 100, Decimal(rate_c) / 100
    exact = krw_per_litre(usd, rate)
    shown = _shown(format_krw_litre(exact))
    # litre price in hundredths of a won: usd_c*rate_c / 10^4 / L * 100, with L as an exact fraction.
    litres_num, litres_den = LITRES_PER_BARREL.as_integer_ratio()
    assert shown * 100 == _half_up_div(usd_c * rate_c * litres_den, 100 * litres_num)
    assert abs(shown - exact) <= Decimal("0.005")
    assert abs(exact * LITRES_PER_BARREL - krw_per_barrel(usd, rate)) < Decimal("1e-18")


@given(rate_cents)
def test_rate_display_round_trips(rate_c):
    rate = Decimal(rate_c) / 100
    assert Decimal(format_rate(rate).replace(",", "")) == rate


def test_the_seed_reference_case():
    # 76.41 x 1,289.00: the seed's model said 98,436.89; integer arithmetic on cents gives the truth.
    usd, rate = Decimal("76.41"), Decimal("1289.00")
    exact = krw_per_barrel(usd, rate)
    assert exact * 10_000 == 7641 * 128900
    assert format_krw(exact) == f"₩{_half_up_div(7641 * 128900, 10_000):,}"
    litres_num, litres_den = LITRES_PER_BARREL.as_integer_ratio()
    jeon = _half_up_div(7641 * 128900 * litres_den, 100 * litres_num)
    assert format_krw_litre(krw_per_litre(usd, rate)) == f"₩{jeon // 100:,}.{jeon % 100:02d}"
