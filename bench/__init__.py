"""Benchmarks: run as modules, e.g. `python -m bench.bench_decode`; results go to RESULTS.md."""
