"""Tests of the runner: the CLI, the embedded and the distributed runs."""
