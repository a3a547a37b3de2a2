"""Rule sets (contracts.md §7): the registry checks shape and sums, scoring interprets formulas.

Sums are checked with ``Decimal``: 0.30 + 0.20 + 0.25 + 0.25 is exactly 1, and a set whose
weights sum to 0.9999999 is refused rather than "close enough" (the NKO would silently drift).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, FieldError, NotFound, Unprocessable
from services.registry.schemas import RuleSetOut
from services.registry.store.models import RuleSet
from services.registry.store.repositories import RuleSetRepository

POLARITIES = ("max", "min", "stabilize")

#: Validates a rule-set document with the model the scoring engine parses it with (the scoring
#: service, through ``peers``: ``POST /api/v1/scoring/rule-sets/validate``); raises on an invalid one.
RuleSetValidator = Callable[[dict[str, Any]], Awaitable[None]]


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | str | Decimal):
        try:
            d = Decimal(value)
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _bands(items: Any, field: str, label: str, errors: list[FieldError]) -> None:
    """Ordered bands: top down, each with one bound (``above`` | ``at_least``), the last without (catch-all)."""
    if not isinstance(items, list) or not items:
        errors.append(FieldError(field=field, reason="must be a non-empty list"))
        return
    keys: list[tuple[Decimal, int]] = []
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get(label), str) or not item[label]:
            errors.append(FieldError(field=f"{f}.{label}", reason=f"each band needs a {label}"))
            continue
        bounds = [k for k in ("above", "at_least") if k in item]
        last = i == len(items) - 1
        if last:
            if bounds:
                errors.append(FieldError(field=f, reason="the last band is the catch-all and takes no bound"))
            continue
        if len(bounds) != 1:
            errors.append(FieldError(field=f, reason="give exactly one of above / at_least"))
            continue
        value = _num(item[bounds[0]])
        if value is None:
            errors.append(FieldError(field=f"{f}.{bounds[0]}", reason="must be a number"))
            continue
        key = (value, 1 if bounds[0] == "above" else 0)
        if keys and not key < keys[-1]:
            errors.append(FieldError(field=f, reason="bands must be ordered from the highest bound down"))
        keys.append(key)


def validate(document: Any) -> list[FieldError]:
    """All the problems of a rule set document (empty list = valid)."""
    errors: list[FieldError] = []
    if not isinstance(document, dict):
        return [FieldError(field="document", reason="must be an object")]
    if not isinstance(document.get("code"), str) or not document["code"]:
        errors.append(FieldError(field="code", reason="required string"))
    if (
        not isinstance(document.get("version"), int)
        or isinstance(document.get("version"), bool)
        or document["version"] < 1
    ):
        errors.append(FieldError(field="version", reason="required integer >= 1"))

    index = document.get("index")
    floor = _num(index.get("floor")) if isinstance(index, dict) else None
    cap = _num(index.get("cap")) if isinstance(index, dict) else None
    if floor is None or cap is None:
        errors.append(FieldError(field="index", reason="needs numeric floor and cap"))
    elif not floor < cap:
        errors.append(FieldError(field="index.floor", reason=f"floor {floor} must be below cap {cap}"))

    polarity = document.get("polarity")
    if not isinstance(polarity, dict):
        errors.append(FieldError(field="polarity", reason="must be an object"))
    else:
        for key in ("max", "min"):
            if key not in polarity:
                errors.append(FieldError(field=f"polarity.{key}", reason="required"))
        for key, rule in polarity.items():
            if key not in POLARITIES:
                errors.append(FieldError(field=f"polarity.{key}", reason=f"unknown polarity; use {POLARITIES}"))
            elif not isinstance(rule, dict) or not isinstance(rule.get("formula"), str) or not rule["formula"]:
                errors.append(FieldError(field=f"polarity.{key}.formula", reason="required string"))

    perspectives = document.get("perspectives")
    if not isinstance(perspectives, list) or not perspectives:
        errors.append(FieldError(field="perspectives", reason="must be a non-empty list"))
    else:
        total, seen = Decimal(0), set()
        for i, p in enumerate(perspectives):
            f = f"perspectives[{i}]"
            if not isinstance(p, dict) or not isinstance(p.get("code"), str) or not p["code"]:
                errors.append(FieldError(field=f"{f}.code", reason="required string"))
                continue
            if p["code"] in seen:
                errors.append(FieldError(field=f"{f}.code", reason=f"duplicate perspective {p['code']}"))
            seen.add(p["code"])
            weight = _num(p.get("weight"))
            if weight is None or weight <= 0:
                errors.append(FieldError(field=f"{f}.weight", reason="must be a positive number"))
                continue
            total += weight
        if not any(e.field.startswith("perspectives") for e in errors) and total != 1:
            errors.append(
                FieldError(field="perspectives", reason=f"weights sum to {total}, they must sum to exactly 1")
            )

    _bands(document.get("predicates"), "predicates", "name", errors)
    _bands(document.get("status_bands"), "status_bands", "status", errors)
    return errors


def perspectives_of(document: dict[str, Any]) -> list[str]:
    return [p["code"] for p in document.get("perspectives", [])]


def to_out(rule_set: RuleSet) -> RuleSetOut:
    return RuleSetOut(
        code=rule_set.code,
        version=rule_set.version,
        document=rule_set.document,
        recorded_at=rule_set.recorded_at,
        recorded_by=rule_set.recorded_by,
    )


async def get(*, session: AsyncSession, code: str, version: int) -> RuleSet:
    found = await RuleSetRepository(session).get(code, version)
    if found is None:
        raise NotFound(f"unknown rule set {code} version {version}", field="version")
    return found


async def list_all(*, session: AsyncSession, code: str | None = None) -> list[RuleSet]:
    return await RuleSetRepository(session).list(code)


async def create(
    *, session: AsyncSession, document: dict[str, Any], validator: RuleSetValidator, actor: str, now: datetime
) -> RuleSet:
    """Store a new rule-set version after both checks: the registry's (shape, exact sums, band
    order) and scoring's (formula names and everything else the engine reads), never unvalidated."""
    errors = validate(document)
    if errors:
        raise Unprocessable(f"invalid rule set: {errors[0].field}: {errors[0].reason}", errors=errors)
    await validator(document)
    repo = RuleSetRepository(session)
    if await repo.get(document["code"], document["version"]) is not None:
        raise Conflict(f"rule set {document['code']} version {document['version']} exists", field="version")
    return await repo.add(
        RuleSet(
            code=document["code"], version=document["version"], document=document, recorded_at=now, recorded_by=actor
        )
    )
