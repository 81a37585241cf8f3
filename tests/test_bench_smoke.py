"""The benchmark script still runs: `bench/run.py --quick --only cache` writes a results table with its rows.

No timing assertions here (timing goals live in the benchmark itself); only that the script works end to end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_cache_writes_table(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, "bench/run.py", "--quick", "--only", "cache", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "## Machine" in text and "nproc:" in text
    assert "| section | measure | value | target | met |" in text
    rows = [line for line in text.splitlines() if line.startswith("| cache |")]
    assert len(rows) == 4, rows
    assert any("warm Market.quote()" in r for r in rows)
    assert any("requests to Opinet" in r for r in rows)
    assert any("requests to Naver" in r for r in rows)
    assert "| cache |" in proc.stdout  # the table is printed too
