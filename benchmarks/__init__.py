"""Benchmarks and soak tests of the commitment device (not part of the ``accord`` package)."""
