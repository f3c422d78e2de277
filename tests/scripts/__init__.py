"""Tests of the entry scripts (scripts/), each run in a copy of the project."""
