"""Tests of `make demo` (`python -m sandbox.demo`), run as a person runs it."""
