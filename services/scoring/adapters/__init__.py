"""Renderers of the scoring service: LAKIN Excel and PDF, charts (target layout, issue 10)."""
