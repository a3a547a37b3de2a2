"""Routers of the scoring service (thin: parse, authorise, call domain, shape)."""
