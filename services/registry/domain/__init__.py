"""The registry's domain: models (tables), schemas (wire), repositories (all SQL), services (rules)."""

from services.registry.domain import zi_models as zi_models  # noqa: F401  (ZI tables in the metadata)
from services.registry.domain.models import metadata
from services.registry.store import history_models as history_models  # noqa: F401  (issue 12 tables)

__all__ = ["metadata"]
