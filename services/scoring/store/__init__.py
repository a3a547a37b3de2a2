"""Peer clients of the scoring service (target layout, issue 10)."""
