"""Benchmarks: each figure next to its bare baseline, measured in the same run.

``python -m benchmarks [contract|events|http ...] [--quick]`` prints a table and writes
``var/bench/results.json``. Everything runs on a scratch copy of the databases under
``var/bench/scratch-*`` (removed afterwards), never on ``var/db``.
"""
