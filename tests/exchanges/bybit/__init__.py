"""Bybit adapter tests: signing vs vectors, error table, spec, parsing, adapter vs simulator."""
