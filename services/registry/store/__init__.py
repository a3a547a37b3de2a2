"""Tables and repositories of the registry (target layout, issue 10)."""
