"""The reference case the fixture pages serve (tests/fixtures/pages: Opinet 2023-11-28, Naver 2023.11.29 16:33)."""

from datetime import UTC, datetime
from decimal import Decimal

WTI_USD = Decimal("76.41")
USD_KRW = Decimal("1289.00")
SEED_DAY = datetime(2023, 11, 29, 8, 0, tzinfo=UTC)
