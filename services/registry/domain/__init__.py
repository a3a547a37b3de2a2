"""The registry's domain: models (tables), schemas (wire), repositories (all SQL), services (rules)."""

from services.registry.domain import zi_models as zi_models  # noqa: F401  (ZI tables in the metadata)
from services.registry.domain.models import metadata
from services.registry.store import cycle_models as cycle_models  # noqa: F401  (cycle tables, ADR 0020)

__all__ = ["metadata"]
