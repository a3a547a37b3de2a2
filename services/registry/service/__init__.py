"""Use cases of the registry (target layout, issue 10)."""
