"""Reading a ``/metrics`` answer (Prometheus text format) the way Prometheus does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` whose labels include ``labels`` (summed if several), or None."""
    found: list[float] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                found.append(s.value)
    return sum(found) if found else None
