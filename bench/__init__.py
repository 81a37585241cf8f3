"""Benchmarks of oilfx against the seed's loop: `python bench/run.py` (see README, "Benchmarks")."""
