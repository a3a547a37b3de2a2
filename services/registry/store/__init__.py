"""Tables and repositories of the registry (issue 10 target layout; new ZI modules live here)."""
