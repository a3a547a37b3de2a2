"""The stored rows the use cases hand to the routers, by name (ADR 0017, 0022).

Routers never import ``store`` (``tests/test_architecture.py``): what a router needs of a row is
its type, for a dependency's annotation (``AgreementDep`` is an ``Agreement``) or a response
shaper; they name it through here. The rows are read-only to a router: every change goes through
a use case.
"""

from services.registry.store.models import Agreement, Indicator, Satker
from services.registry.store.notify_models import Delivery, NotifyRecipient, WebhookSubscriber
from services.registry.store.zi_models import ZiTemplate

__all__ = ["Agreement", "Delivery", "Indicator", "NotifyRecipient", "Satker", "WebhookSubscriber", "ZiTemplate"]
