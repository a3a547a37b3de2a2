"""Use cases of the registry (ADR 0017): keyword-only functions taking the session, values, peer
clients and the clock; they flush, never commit, and never see the FastAPI ``Request``."""
