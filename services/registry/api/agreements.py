"""Agreements, addenda, targets, manuals, closed periods, bundles and export.

Routes live under ``/api/v1/registry/satkers/{code}/agreements/{year}``; each authorises the
caller against the satker's path before touching anything else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
import yaml
from fastapi import APIRouter, Body, Header, Query, Request, Response, status

from contracts.bundle import AS_OF_HEADER
from contracts.bundle import EXAMPLE as BUNDLE_EXAMPLE
from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.pagination import Page, PageDep, page_of
from kernel.types import ensure_no_nul
from services.registry.api import transfer as transfer_api
from services.registry.api.deps import (
    AgreementAtDep,
    AsOfQuery,
    AtDep,
    ClosingAgreementDep,
    IndicatorAtDep,
    IndicatorDep,
    ManageAgreementDep,
    ManageIndicatorDep,
    ManageLineageDep,
    ReadLineageDep,
    YearPath,
    manual_validator,
    resolve_as_of,
    utcnow,
)
from services.registry.schemas import (
    AddendumCreate,
    AgreementCreate,
    AgreementListItem,
    AgreementSummary,
    Bundle,
    Bundles,
    ClosureOut,
    DocumentOut,
    ImportDocument,
    ManualOut,
    TargetRow,
    TargetsOut,
)
from services.registry.service import agreements as service
from services.registry.service import bundles as bundles_service
from services.registry.service import transfer as transfer_service
from services.registry.service.periods import MeasurePeriod

router = APIRouter(tags=["agreements"])
BASE = "/satkers/{code}/agreements/{year}"
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@router.get(
    "/satkers/{code}/agreements",
    summary="The agreements of a satker (one per year)",
    description=("The performance agreements (Perjanjian Kinerja) of a satker, one per year, as recorded by `as_of`."),
)
async def list_agreements(lineage: ReadLineageDep, session: ReadSessionDep, page: PageDep) -> Page[AgreementListItem]:
    code = lineage[-1].code
    return page_of(await service.list_for_satker(session=session, satker_code=code), page)


@router.post(
    "/satkers/{code}/agreements",
    status_code=status.HTTP_201_CREATED,
    summary="Create an agreement (admin)",
    description=(
        "Create the agreement of a year: its SS with their perspectives and the IKU with polarity, "
        "consolidation, weights and targets. The rule set must exist and its perspectives name the SS' "
        "perspectives."
    ),
)
async def create_agreement(
    lineage: ManageLineageDep, body: AgreementCreate, session: SessionDep, principal: PrincipalDep
) -> AgreementSummary:
    code = lineage[-1].code
    now = utcnow()
    agreement = await service.create(session=session, satker_code=code, data=body, actor=principal.subject, now=now)
    return await service.summary(session=session, agreement=agreement, as_of=now)


@router.get(
    BASE,
    summary="Agreement summary: SS, IKU (no targets/measures), documents, closed periods",
    description=(
        "The agreement at `as_of`: number, rule set, SS and IKU (without targets and measures), its "
        "documents and closed periods."
    ),
)
async def get_agreement(read: AgreementAtDep, session: ReadSessionDep) -> AgreementSummary:
    agreement, at = read
    return await service.summary(session=session, agreement=agreement, as_of=at)


@router.get(
    f"{BASE}/documents",
    summary="The original and every addendum recorded by as_of (history)",
    description=("The original agreement and each addendum recorded by `as_of`, with who recorded it and when."),
)
async def get_documents(read: AgreementAtDep, session: ReadSessionDep, page: PageDep) -> Page[DocumentOut]:
    agreement, at = read
    return page_of(await service.documents(session=session, agreement=agreement, as_of=at), page)


@router.post(
    f"{BASE}/addenda",
    status_code=status.HTTP_201_CREATED,
    summary="Record an addendum (admin)",
    description=(
        "Record an addendum: its number and the targets it changes. Earlier targets are kept (temporal "
        "rows): a read `as_of` before it still sees them."
    ),
)
async def add_addendum(
    agreement: ManageAgreementDep, body: AddendumCreate, session: SessionDep, principal: PrincipalDep
) -> DocumentOut:
    doc = await service.add_addendum(
        session=session, agreement=agreement, data=body, actor=principal.subject, now=utcnow()
    )
    return service.document_out(doc)


@router.get(
    f"{BASE}/indicators/{{iku}}/targets",
    summary="Targets in force at as_of (null = '-')",
    description=(
        'The IKU\'s targets per period in force at `as_of`; `null` where the agreement has "-", with the '
        "document that set each."
    ),
)
async def get_targets(read: IndicatorAtDep, session: ReadSessionDep) -> TargetsOut:
    indicator, at = read
    return await service.targets(session=session, indicator=indicator, as_of=at)


@router.get(
    f"{BASE}/indicators/{{iku}}/targets/history",
    summary="Every target row ever recorded",
    description=(
        "Every target row ever recorded for the IKU, with the document that set it and when it was superseded."
    ),
)
async def get_target_history(indicator: IndicatorDep, session: ReadSessionDep, page: PageDep) -> Page[TargetRow]:
    return page_of(await service.target_history(session=session, indicator=indicator), page)


@router.get(
    f"{BASE}/indicators/{{iku}}/manual",
    summary="The manual version in force at as_of",
    description=(
        "The IKU's manual (how its realisation is computed from its measures or evidence) in force at `as_of`."
    ),
)
async def get_manual(read: IndicatorAtDep, session: ReadSessionDep) -> ManualOut:
    indicator, at = read
    return await service.manual(session=session, indicator=indicator, as_of=at)


@router.get(
    f"{BASE}/indicators/{{iku}}/manual/versions",
    summary="Every version of the manual",
    description=("Every stored version of the IKU's manual, oldest first."),
)
async def get_manual_versions(indicator: IndicatorDep, session: ReadSessionDep, page: PageDep) -> Page[ManualOut]:
    return page_of(await service.manual_versions(session=session, indicator=indicator), page)


@router.put(
    f"{BASE}/indicators/{{iku}}/manual",
    summary="Store a new manual version (validated by scoring; admin)",
    description=(
        "Store a new version of the IKU's manual. Scoring validates it first (`POST "
        "/api/v1/scoring/manuals/validate`); its 422 names the JSON path inside the manual."
    ),
)
async def put_manual(
    indicator: ManageIndicatorDep,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    document: dict[str, Any] = Body(...),
) -> ManualOut:
    ensure_no_nul(document, "document")
    return await service.store_manual(
        session=session,
        indicator=indicator,
        document=document,
        validator=manual_validator(request, principal),
        actor=principal.subject,
        now=utcnow(),
    )


@router.get(
    f"{BASE}/periods",
    summary="Which periods are closed for measure writes at as_of",
    description=("The periods closed for measure writes at `as_of`."),
)
async def get_periods(read: AgreementAtDep, session: ReadSessionDep, page: PageDep) -> Page[ClosureOut]:
    agreement, at = read
    return page_of(await service.periods(session=session, agreement=agreement, as_of=at), page)


@router.post(
    f"{BASE}/periods/{{period}}/close",
    summary="Close a period (admin or kanwil_manager)",
    description=("Close a period: measures of it can no longer be written until an admin reopens it."),
)
async def close_period(
    agreement: ClosingAgreementDep, period: MeasurePeriod, session: SessionDep, principal: PrincipalDep
) -> ClosureOut:
    return await service.close_period(
        session=session, agreement=agreement, period=period, actor=principal.subject, now=utcnow()
    )


@router.post(
    f"{BASE}/periods/{{period}}/reopen",
    summary="Reopen a closed period (admin)",
    description=("Reopen a closed period for measure writes; the closure stays in the history."),
)
async def reopen_period(
    agreement: ManageAgreementDep, period: MeasurePeriod, session: SessionDep, principal: PrincipalDep
) -> ClosureOut:
    return await service.reopen_period(
        session=session, agreement=agreement, period=period, actor=principal.subject, now=utcnow()
    )


def _bundle_json(body: Any) -> Response:
    """The bundle serialised by orjson (the service built it in wire form; see service/bundles.py).

    Returning a ``Response`` skips FastAPI's validation + serialisation of the response model,
    which for a bundle (hundreds of nested objects) cost more than reading it from the database;
    ``response_model`` still documents the shape in OpenAPI.
    """
    return Response(orjson.dumps(body, option=bundles_service.ORJSON_OPTIONS), media_type="application/json")


@router.get(
    f"{BASE}/bundle",
    summary="Everything scoring needs about one agreement (contracts.md §6)",
    description=(
        "One satker's agreement with everything scoring needs, in one read: satker, rule set, SS, IKU "
        "with manuals, targets and measures, closed periods and the reporting cycle at `as_of`. The shape "
        "is the contract `kinerja.bundle/v1` (contracts/bundle.py). The answer carries a strong `ETag` "
        "(the registry revision: it changes with every write to the registry) and `Kinerja-As-Of`; with "
        "`If-None-Match` naming the current tag the answer is `304 Not Modified` without a body: the "
        "caller's copy is current (ADR 0026)."
    ),
    response_model=Bundle,
    responses={
        200: {"content": {"application/json": {"example": BUNDLE_EXAMPLE}}},
        304: {"description": "the copy named by `If-None-Match` is current (headers `ETag`, `Kinerja-As-Of`)"},
    },
)
async def get_bundle(
    lineage: ReadLineageDep,
    year: YearPath,
    session: ReadSessionDep,
    as_of: AsOfQuery = None,
    if_none_match: Annotated[
        str | None, Header(description="the ETag of a bundle the caller holds: 304 when it is current")
    ] = None,
) -> Response:
    code = lineage[-1].code
    etag = await bundles_service.tag(session=session, code=code, year=year, as_of=as_of)  # before the rows
    # "now" after the revision: every write the revision has seen committed was stamped before it
    at = resolve_as_of(as_of)
    headers = {"ETag": etag, AS_OF_HEADER: bundles_service.timestamp(at)}
    if bundles_service.matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = await bundles_service.bundle(session=session, code=code, year=year, as_of=at, lineage=lineage)
    response = _bundle_json(body)
    response.headers.update(headers)
    return response


@router.get(
    f"{BASE}/bundles",
    summary="Bundles of the satker and every satker under it with an agreement",
    description=(
        "The bundles of the satker and of every satker under it with an agreement that year, in tree "
        "order (a Kanwil's consolidated view in one read). The caller must be able to read every one of "
        "them, else 403."
    ),
    response_model=Bundles,
)
async def get_bundles(
    lineage: ReadLineageDep,
    year: YearPath,
    at: AtDep,
    session: ReadSessionDep,
    principal: PrincipalDep,
) -> Response:
    code = lineage[-1].code
    items = await bundles_service.subtree_bundles(session=session, code=code, year=year, as_of=at, lineage=lineage)
    for item in items:  # a partial subtree would silently skew a regional roll-up: refuse instead
        ensure_allowed(principal, Action.READ, item["satker"]["path"])
    return _bundle_json({"as_of": at, "items": items})


@router.get(
    f"{BASE}/export",
    summary="The whole agreement in the import format (JSON, YAML or an .xlsx workbook)",
    description="The agreement as `kinerja.agreement/v1` (the document `POST /import` takes): the satker "
    "lineage, the original targets, each addendum's changes, manuals, measures and closed periods as they "
    "stood at `as_of`. JSON by default; `format=yaml` / `xlsx` or the Accept header choose another form.",
    response_model=ImportDocument,  # the JSON form's schema (the route answers a Response itself)
    responses={200: {"content": {"application/yaml": {}, transfer_api.XLSX_TYPE: {}}}},
)
async def export_agreement(
    lineage: ReadLineageDep,
    year: YearPath,
    at: AtDep,
    session: ReadSessionDep,
    format: Annotated[Literal["json", "yaml", "xlsx"] | None, Query(description="overrides the Accept header")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    code = lineage[-1].code
    doc = await transfer_service.export_document(session=session, satker_code=code, year=year, as_of=at)
    data = doc.model_dump(mode="json")
    wants_yaml = format == "yaml" or (format is None and any(t in (accept or "") for t in YAML_TYPES))
    filename = f"{code}-{year}"
    if format == "xlsx" or (format is None and transfer_api.XLSX_TYPE in (accept or "")):
        return await transfer_api.xlsx_response(doc, filename)
    if wants_yaml:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return Response(
            text,
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{filename}.yaml"'},
        )
    import orjson

    return Response(
        orjson.dumps(data),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
    )
