"""Benchmarks: figures measured in one run and printed as ratios or counts (``hil bench``)."""
