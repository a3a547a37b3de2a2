"""Scoring use cases (issue 10 target layout; the older ones are still in ``domain/``)."""
