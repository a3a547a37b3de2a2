"""The registry's domain: models (tables), schemas (wire), repositories (all SQL), services (rules)."""

from services.registry.domain import zi_models as zi_models  # noqa: F401  (ZI tables in the metadata)
from services.registry.domain.models import metadata

__all__ = ["metadata"]
