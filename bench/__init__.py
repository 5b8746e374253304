"""Benchmarks (run by hand; results go to docs/benchmarks.md). Never timed assertions inside tests."""
