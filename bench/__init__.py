"""Benchmarks: each bench_<name> module runs on its own and prints a Markdown section."""
