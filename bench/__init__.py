"""Benchmarks: figures printed, nothing asserted. See bench/README.md."""
