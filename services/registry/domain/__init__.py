"""The registry's domain: models (tables), schemas (wire), repositories (all SQL), services (rules)."""

from services.registry.domain.models import metadata

__all__ = ["metadata"]
