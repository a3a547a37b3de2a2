"""Zona Integritas tables of the registry (issue 13, ADR 0015).

Kept apart from ``models.py`` so the ZI feature stays one module; it shares the registry's
metadata (imported in ``services/registry/store/__init__.py`` so Alembic sees it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kernel.columns import id_column
from services.registry.store.models import TS, RegistryTable


class ZiTemplate(RegistryTable, table=True):
    """One version of an LKE template with its predicate thresholds; never changed once stored.

    ``valid_from_year`` chooses the version for an evaluation year (the latest version of the
    latest regulation starting at or before the year).
    """

    __tablename__ = "zi_template"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: int = id_column()
    code: str = Field(max_length=64)
    version: int
    valid_from_year: int
    document: dict[str, Any] = Field(sa_type=sa.JSON)
    recorded_at: datetime = Field(sa_type=TS)
    recorded_by: str = Field(max_length=200)
