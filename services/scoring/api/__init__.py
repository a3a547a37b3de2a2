"""Routers of the scoring service (thin: parse, authorise, call a use case, shape)."""
