"""The registry's domain: models (tables), schemas (wire), repositories (all SQL), services (rules)."""

from services.registry.domain import zi_models as zi_models  # noqa: F401  (ZI tables in the metadata)
from services.registry.domain.models import metadata
from services.registry.store import zi_evaluations as zi_evaluation_tables  # noqa: F401  (ZI evaluations)

__all__ = ["metadata"]
