"""Use cases of the scoring service (issue 10 target layout; new ZI modules live here)."""
