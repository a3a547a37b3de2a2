"""Typed dependencies of the routers (ADR 0017): clock, ``as_of``, and the chain
authorise -> load satker -> load agreement (-> indicator), plus manual validation.

Each link is an ``Annotated[..., Depends(...)]`` alias; FastAPI caches a dependency per request, so
a route that asks for the agreement and the indicator runs the chain once. The chain authorises
first: a caller out of scope learns nothing about the agreement, not even whether it exists. The
read links take ``ReadSessionDep``, the write links ``SessionDep`` (the route's own session).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action, Principal, PrincipalDep, Role, ensure_allowed, reads_everything, unseen
from kernel.client import ServiceClient
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import NotFound
from kernel.types import IkuCodePath, OrgCodePath
from services.registry.service import agreements as agreements_service
from services.registry.service import satkers as satkers_service
from services.registry.service.agreements import ManualValidator
from services.registry.service.rows import Agreement, Indicator, Satker

AsOfQuery = Annotated[
    datetime | None,
    Query(description="ISO-8601 instant: read the records as they stood then (default: now; no zone = UTC)"),
]

#: Years an agreement may have (as AgreementCreate): out of range is a 422, never a database overflow.
YearPath = Annotated[int, Path(ge=2000, le=2100, description="agreement year")]
#: Versions are PostgreSQL INTEGER columns.
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]

MANUAL_VALIDATE_PATH = "/api/v1/scoring/manuals/validate"


def utcnow() -> datetime:
    return datetime.now(UTC)


def resolve_as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return utcnow()
    return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)


async def authorize(session: AsyncSession, principal: Principal, action: Action, code: str) -> list[Satker]:
    """Load the satker's lineage and check ``action`` on its path (403).

    A satker the caller may not even read answers exactly like an unknown code
    (:func:`kernel.auth.unseen`, 403): a 404 for one and a 403 for the other would tell which
    foreign satker exist. Only callers who read everything get the 404 of an unknown code."""
    try:
        lineage = await satkers_service.lineage(session=session, code=code)
    except NotFound:
        if reads_everything(principal):
            raise
        raise unseen(principal, f"satker {code}") from None
    path = [s.code for s in lineage]
    if not principal.allows(Action.READ, path):
        raise unseen(principal, f"satker {code}")
    ensure_allowed(principal, action, path)
    return lineage


def ensure_may_close(principal: Principal, path: list[str]) -> None:
    """Closing a period: MANAGE (admin) or a kanwil_manager over the satker's subtree."""
    if principal.role is Role.KANWIL_MANAGER:
        ensure_allowed(principal, Action.WRITE, path)
    else:
        ensure_allowed(principal, Action.MANAGE, path)


def manual_validator(request: Request, principal: Principal) -> ManualValidator:
    """Validation of a manual by the scoring service (its 422 is relayed; no scoring peer = 503)."""

    async def validate(document: dict[str, Any]) -> None:
        scoring: ServiceClient = request.app.state.peers["scoring"]
        await scoring.request("POST", MANUAL_VALIDATE_PATH, token=principal.token, json=document)

    return validate


# --- the chain: authorise -> satker -> agreement -> indicator ------------------------------------


async def _instant(as_of: AsOfQuery = None) -> datetime:
    return resolve_as_of(as_of)


#: the instant of ``?as_of`` (default: now), one per request
AtDep = Annotated[datetime, Depends(_instant)]


async def _read_lineage(code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep) -> list[Satker]:
    return await authorize(session, principal, Action.READ, code)


async def _write_lineage(code: OrgCodePath, session: SessionDep, principal: PrincipalDep) -> list[Satker]:
    return await authorize(session, principal, Action.WRITE, code)


async def _manage_lineage(code: OrgCodePath, session: SessionDep, principal: PrincipalDep) -> list[Satker]:
    return await authorize(session, principal, Action.MANAGE, code)


async def _closing_lineage(code: OrgCodePath, session: SessionDep, principal: PrincipalDep) -> list[Satker]:
    lineage = await authorize(session, principal, Action.READ, code)
    ensure_may_close(principal, [s.code for s in lineage])
    return lineage


#: the satker's lineage (root .. satker) after checking the action on its path
ReadLineageDep = Annotated[list[Satker], Depends(_read_lineage)]
WriteLineageDep = Annotated[list[Satker], Depends(_write_lineage)]
ManageLineageDep = Annotated[list[Satker], Depends(_manage_lineage)]
ClosingLineageDep = Annotated[list[Satker], Depends(_closing_lineage)]


class AgreementAt(NamedTuple):
    """The agreement as recorded at ``at`` and that instant: routes take both from one dependency,
    because a parameter declared by two dependencies side by side (``AgreementAtDep`` + ``AtDep``)
    is reported twice when it fails validation."""

    agreement: Agreement
    at: datetime


class IndicatorAt(NamedTuple):
    """The IKU of the agreement recorded at ``at``, and that instant (see :class:`AgreementAt`)."""

    indicator: Indicator
    at: datetime


async def _agreement_at(lineage: ReadLineageDep, year: YearPath, at: AtDep, session: ReadSessionDep) -> AgreementAt:
    agreement = await agreements_service.get(session=session, satker_code=lineage[-1].code, year=year, as_of=at)
    return AgreementAt(agreement, at)


async def _agreement_read(lineage: ReadLineageDep, year: YearPath, session: ReadSessionDep) -> Agreement:
    return await agreements_service.get(session=session, satker_code=lineage[-1].code, year=year)


async def _agreement_write(lineage: WriteLineageDep, year: YearPath, session: SessionDep) -> Agreement:
    return await agreements_service.get(session=session, satker_code=lineage[-1].code, year=year)


async def _agreement_manage(lineage: ManageLineageDep, year: YearPath, session: SessionDep) -> Agreement:
    return await agreements_service.get(session=session, satker_code=lineage[-1].code, year=year)


async def _agreement_closing(lineage: ClosingLineageDep, year: YearPath, session: SessionDep) -> Agreement:
    return await agreements_service.get(session=session, satker_code=lineage[-1].code, year=year)


#: the agreement of ``{code}``/``{year}`` as recorded at ``as_of`` (404 if none by then)
AgreementAtDep = Annotated[AgreementAt, Depends(_agreement_at)]
#: the agreement as it stands now, after checking READ / WRITE / MANAGE / closing
AgreementDep = Annotated[Agreement, Depends(_agreement_read)]
WriteAgreementDep = Annotated[Agreement, Depends(_agreement_write)]
ManageAgreementDep = Annotated[Agreement, Depends(_agreement_manage)]
ClosingAgreementDep = Annotated[Agreement, Depends(_agreement_closing)]


async def _indicator_at(read: AgreementAtDep, iku: IkuCodePath, session: ReadSessionDep) -> IndicatorAt:
    indicator = await agreements_service.indicator(session=session, agreement=read.agreement, code=iku)
    return IndicatorAt(indicator, read.at)


async def _indicator_read(agreement: AgreementDep, iku: IkuCodePath, session: ReadSessionDep) -> Indicator:
    return await agreements_service.indicator(session=session, agreement=agreement, code=iku)


async def _indicator_write(agreement: WriteAgreementDep, iku: IkuCodePath, session: SessionDep) -> Indicator:
    return await agreements_service.indicator(session=session, agreement=agreement, code=iku)


async def _indicator_manage(agreement: ManageAgreementDep, iku: IkuCodePath, session: SessionDep) -> Indicator:
    return await agreements_service.indicator(session=session, agreement=agreement, code=iku)


async def _agreement_and_indicator_write(
    agreement: WriteAgreementDep, iku: IkuCodePath, session: SessionDep
) -> tuple[Agreement, Indicator]:
    return agreement, await agreements_service.indicator(session=session, agreement=agreement, code=iku)


#: the IKU ``{iku}`` of the agreement above (404 if the agreement has none)
IndicatorAtDep = Annotated[IndicatorAt, Depends(_indicator_at)]
IndicatorDep = Annotated[Indicator, Depends(_indicator_read)]
WriteIndicatorDep = Annotated[Indicator, Depends(_indicator_write)]
ManageIndicatorDep = Annotated[Indicator, Depends(_indicator_manage)]
#: both, for a write that needs the agreement too (measures: its lock and closed periods). One
#: dependency, not ``WriteAgreementDep`` + ``WriteIndicatorDep`` side by side: a path parameter
#: that fails validation would be reported once per appearance of its dependency
WriteAgreementIndicatorDep = Annotated[tuple[Agreement, Indicator], Depends(_agreement_and_indicator_write)]
