"""Use cases of the scoring service (target layout, issue 10)."""
