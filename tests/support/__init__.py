"""Helpers only the test suite uses (real processes: clamd, parts of kinerja on loopback)."""
