"""Benchmarks run by hand: bench/benchmark.py measures, bench/report.py renders, bench/chat_load.py loads the app."""
