"""The registry's store (ADR 0017): SQLModel tables and the repositories (all SQL of the service)."""

from services.registry.store import cycle_models as cycle_models  # noqa: F401  (cycle tables, ADR 0020)
from services.registry.store import history_models as history_models  # noqa: F401  (issue 12 tables)
from services.registry.store import notify_models as notify_models  # noqa: F401  (notifications, ADR 0021)
from services.registry.store import zi_evaluations as zi_evaluation_tables  # noqa: F401  (ZI evaluations)
from services.registry.store import zi_models as zi_models  # noqa: F401  (ZI tables in the metadata)
from services.registry.store.models import metadata

__all__ = ["metadata"]
