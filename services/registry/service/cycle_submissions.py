"""Submission, validation, return, reopening and publication of a period (ADR 0020).

A satker's report of a quarter is a *submission*: revision 1 opens with the first submit, each
reopen supersedes the current revision with the next one (the old stays readable). Inside a
revision every submit is a *round*; the reviewer's decision (``returned`` with a reason per IKU,
or ``validated``) is written on the round, so every round is kept. A Kanwil manager publishes
the quarter for the Kanwil and every satker under it once all are validated: the scorecards are
computed by scoring at the publication instant and stored verbatim with the hashes of their
inputs; a republication after a reopen supersedes the previous publication.

Every change writes its event in the same transaction (:mod:`.cycle_events`). The checks that
ask other services (scoring for the statuses, evidence for documents still in review, scoring
for the scorecards) run *before* anything is written, so a refusal or an unavailable peer
leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Principal
from kernel.client import Peers
from kernel.errors import Conflict, FieldError, Forbidden, Unprocessable
from services.registry.service import cycle_calendar as calendars
from services.registry.service import cycle_events as events
from services.registry.service.periods import WINDOWS
from services.registry.store.cycle_models import (
    AnalysisNote,
    CycleRound,
    CycleSubmission,
    Publication,
    PublishedScorecard,
)
from services.registry.store.cycle_repository import CycleRepository
from services.registry.store.models import Agreement, Indicator, Satker
from services.registry.store.repositories import AgreementRepository, SatkerRepository

SCORES = "/api/v1/scoring/satkers/{code}/scores"
FROZEN = "/api/v1/scoring/satkers/{code}/frozen-scorecards"
DOCUMENTS = "/api/v1/evidence/satkers/{code}/documents"
#: evidence states that are not decided yet: uploaded and never sent to review, or in review
UNDECIDED = ("scanned", "in_review")
#: states in which a period's report counts as declared complete (the evidence path applies)
DECLARED = ("submitted", "validated", "published")
#: Indonesian labels of the states (what people read; the JSON codes stay English)
STATE_LABELS = {
    "not_started": "belum disampaikan",
    "overdue": "terlambat (belum disampaikan)",
    "open": "dibuka kembali",
    "submitted": "disampaikan",
    "returned": "dikembalikan",
    "validated": "divalidasi",
    "published": "dipublikasikan",
}


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


# --- reading ----------------------------------------------------------------------------------


def state_at(sub: CycleSubmission, rounds: Sequence[CycleRound], at: datetime) -> str:
    """The state of a revision as it stood at ``at`` (rounds and decisions recorded by then)."""
    done = [r for r in rounds if r.submitted_at <= at]
    if not done:
        return "open"
    last = done[-1]
    if last.decided_at is None or last.decided_at > at:
        return "submitted"
    if last.decision == "validated" and sub.published_at is not None and sub.published_at <= at:
        return "published"
    return str(last.decision)


async def cycle_facts(
    *, session: AsyncSession, agreement_ids: Sequence[int], as_of: datetime
) -> dict[int, dict[str, dict[str, Any]]]:
    """What the bundle carries per agreement and quarter (contracts §6 ``cycle``): the state of the
    revision current at ``as_of``, when the report was first submitted, its deadline then in force
    and whether it was on time (measured, never typed in: 1b-N component D reads it)."""
    repo = CycleRepository(session)
    subs = await repo.submissions(agreement_ids, as_of)
    rounds: dict[int, list[CycleRound]] = defaultdict(list)
    for r in await repo.rounds([s.id for s in subs]):
        rounds[r.submission_id].append(r)
    out: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    first: dict[tuple[int, str], CycleRound] = {}
    for s in subs:  # revisions in order: the first round of the first submitted revision is the report
        for r in rounds[s.id]:
            if r.submitted_at <= as_of:
                first.setdefault((s.agreement_id, s.period), r)
        if s.superseded_at is not None and s.superseded_at <= as_of:
            continue
        report = first.get((s.agreement_id, s.period))
        out[s.agreement_id][s.period] = {
            "state": state_at(s, rounds[s.id], as_of),
            "revision": s.revision,
            "submitted_at": report.submitted_at if report else None,
            "due": report.due if report else None,
            "on_time": (report.submitted_at <= report.due) if report and report.due else None,
        }
    return out


def _round_json(r: CycleRound) -> dict[str, Any]:
    return {
        "round": r.round,
        "submitted_at": r.submitted_at,
        "submitted_by": r.submitted_by,
        "due": r.due,
        "on_time": (r.submitted_at <= r.due) if r.due else None,
        "decision": r.decision,
        "decided_at": r.decided_at,
        "decided_by": r.decided_by,
        "reasons": r.reasons,
        "remark": r.remark,
    }


async def period_view(
    *, session: AsyncSession, lineage: Sequence[Satker], agreement: Agreement, period: str, now: datetime
) -> dict[str, Any]:
    """One quarter of a satker: state (with ``overdue``), deadlines, every revision with its rounds."""
    repo = CycleRepository(session)
    subs = [s for s in await repo.submissions([agreement.id]) if s.period == period]
    rounds: dict[int, list[CycleRound]] = defaultdict(list)
    for r in await repo.rounds([s.id for s in subs]):
        rounds[r.submission_id].append(r)
    current = next((s for s in subs if s.superseded_at is None), None)
    found = await calendars.in_force(session=session, lineage=lineage, year=agreement.year, as_of=now)
    deadlines: dict[str, Any] | None = None
    if found is not None:
        row, source = found
        deadlines = {
            "source": source,
            "calendar_version": row.version,
            **{name: calendars.instant(row.document, period, name) for name in calendars.DATES},
        }
    state = state_at(current, rounds[current.id], now) if current else "not_started"
    if state in ("not_started", "open") and deadlines and now > deadlines["realisations_due"]:
        state = "overdue" if state == "not_started" else state
    return {
        "satker": lineage[-1].code,
        "year": agreement.year,
        "period": period,
        "state": state,
        "state_label": STATE_LABELS.get(state, state),
        "revision": current.revision if current else None,
        "deadlines": deadlines,
        "revisions": [
            {
                "revision": s.revision,
                "state": state_at(s, rounds[s.id], now) if s.superseded_at is None else "superseded",
                "opened_at": s.opened_at,
                "opened_by": s.opened_by,
                "reopen_reason": s.reopen_reason,
                "superseded_at": s.superseded_at,
                "rounds": [_round_json(r) for r in rounds[s.id]],
            }
            for s in subs
        ],
    }


# --- analysis notes ---------------------------------------------------------------------------


def note_json(n: AnalysisNote, code: str) -> dict[str, Any]:
    return {
        "indicator": code,
        "period": n.period,
        "events_causes": n.events_causes,
        "solutions_actions": n.solutions_actions,
        "risks": n.risks,
        "recorded_at": n.recorded_at,
        "recorded_by": n.recorded_by,
    }


async def notes(*, session: AsyncSession, agreement: Agreement, period: str) -> list[dict[str, Any]]:
    indicators = {i.id: i.code for i in await AgreementRepository(session).indicators([agreement.id])}
    rows = await CycleRepository(session).notes([i for i in indicators if i is not None], period)
    return [note_json(n, indicators[n.indicator_id]) for n in sorted(rows, key=lambda n: indicators[n.indicator_id])]


async def put_note(
    *,
    session: AsyncSession,
    agreement: Agreement,
    code: str,
    period: str,
    events_causes: str,
    solutions_actions: str,
    risks: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Record the analysis of an IKU (replaces the current one; the old row is kept, superseded)."""
    agreements = AgreementRepository(session)
    indicator = await agreements.indicator(agreement.id, code)
    if indicator is None:
        raise Unprocessable(
            f"IKU {code} tidak ada dalam perjanjian kinerja {agreement.number} ({agreement.year})", field="indicator"
        )
    await agreements.lock(agreement.id)
    current = await CycleRepository(session).current(agreement.id, period)
    if current is not None and current.state in DECLARED:
        raise Conflict(
            f"laporan {period} berstatus {STATE_LABELS[current.state]}: catatan analisis tidak dapat diubah "
            "(dikembalikan atau dibuka kembali dahulu)",
            field="period",
        )
    repo = CycleRepository(session)
    await repo.supersede_note(indicator.id, period, now)
    note = AnalysisNote(
        indicator_id=indicator.id,
        period=period,
        events_causes=events_causes,
        solutions_actions=solutions_actions,
        risks=risks,
        recorded_at=now,
        recorded_by=actor,
    )
    await repo.add(note)
    await events.record(
        session,
        type="cycle.note_recorded",
        subject=events.subject_of(agreement.satker_code, agreement.year, period),
        satker=agreement.satker_code,
        payload={"indicator": code, "period": period, "recorded_by": actor},
        now=now,
    )
    return note_json(note, code)


# --- submit -----------------------------------------------------------------------------------


async def _scores(peers: Peers, token: str, code: str, year: int, period: str) -> dict[str, Any]:
    """The period's scores as they will stand once submitted (the evidence path applied)."""
    body: dict[str, Any] = await peers["scoring"].get_json(
        SCORES.format(code=code), token=token, params={"year": year, "period": period, "as_submitted": "true"}
    )
    return body


async def _undecided_evidence(
    peers: Peers, token: str, code: str, year: int, period: str, indicators: set[str]
) -> list[dict[str, Any]]:
    """The satker's documents of the quarter (by document date) for an IKU of the agreement that
    are not decided yet. No evidence service in the deployment: no evidence to wait for."""
    if not peers.has("evidence"):
        return []
    months = WINDOWS[period]
    found: list[dict[str, Any]] = []
    for status in UNDECIDED:
        offset = 0
        while True:
            page = await peers["evidence"].get_json(
                DOCUMENTS.format(code=code),
                token=token,
                params={"year": year, "status": status, "limit": 500, "offset": offset},
            )
            for d in page["items"]:
                if d.get("indicator") in indicators and int(str(d["document_date"])[5:7]) in months:
                    found.append(d)
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
    return found


async def gaps(
    *,
    session: AsyncSession,
    peers: Peers,
    token: str,
    agreement: Agreement,
    period: str,
) -> list[FieldError]:
    """Every reason the period cannot be declared complete, each naming its IKU or document."""
    indicators = await AgreementRepository(session).indicators([agreement.id])
    by_id: dict[int | None, Indicator] = {i.id: i for i in indicators}
    noted = {
        by_id[n.indicator_id].code
        for n in await CycleRepository(session).notes([i for i in by_id if i is not None], period)
    }
    scores = await _scores(peers, token, agreement.satker_code, agreement.year, period)
    errors: list[FieldError] = []
    for s in scores.get("indicators") or []:
        code = s["code"]
        if s.get("target") is not None and s.get("realization") is None:
            errors.append(
                FieldError(
                    field=f"indicators.{code}.realization",
                    reason=f"IKU {code} memiliki target {period} tetapi belum ada realisasi",
                )
            )
        elif s.get("status") in ("red", "yellow") and code not in noted:
            label = "merah" if s["status"] == "red" else "kuning"
            errors.append(
                FieldError(
                    field=f"indicators.{code}.analysis_note",
                    reason=f"IKU {code} di bawah target (status {label}, indeks {s.get('index_display')}) tanpa "
                    "catatan analisis (kejadian/penyebab, solusi/rencana aksi, risiko)",
                )
            )
    codes = {i.code for i in indicators}
    for d in await _undecided_evidence(peers, token, agreement.satker_code, agreement.year, period, codes):
        what = "masih direviu" if d["status"] == "in_review" else "belum diajukan untuk reviu"
        errors.append(
            FieldError(
                field=f"evidence.{d['id']}",
                reason=f"bukti {d['kind']} {d['number']} untuk IKU {d['indicator']} {what}",
            )
        )
    return errors


async def _current_or_first(
    session: AsyncSession, agreement: Agreement, period: str, now: datetime, actor: str
) -> CycleSubmission:
    repo = CycleRepository(session)
    current = await repo.current(agreement.id, period)
    if current is None:
        current = CycleSubmission(
            agreement_id=agreement.id,
            satker_code=agreement.satker_code,
            year=agreement.year,
            period=period,
            revision=1,
            state="open",
            opened_at=now,
            opened_by=actor,
        )
        await repo.add(current)
    return current


async def submit(
    *,
    session: AsyncSession,
    peers: Peers,
    principal: Principal,
    lineage: Sequence[Satker],
    agreement: Agreement,
    period: str,
    clock: Any,
) -> dict[str, Any]:
    repo = CycleRepository(session)
    current = await repo.current(agreement.id, period)
    if current is not None and current.state in DECLARED:
        raise Conflict(f"laporan {period} sudah berstatus {STATE_LABELS[current.state]}", field="period")
    start = clock()
    found = await calendars.in_force(session=session, lineage=lineage, year=agreement.year, as_of=start)
    due = None
    if found is not None:
        opens = calendars.instant(found[0].document, period, "window_opens", end_of_day=False)
        if start < opens:
            raise Conflict(f"jendela pelaporan {period} baru dibuka {opens.date().isoformat()}", field="period")
        due = calendars.instant(found[0].document, period, "realisations_due")
    problems = await gaps(session=session, peers=peers, token=principal.token, agreement=agreement, period=period)
    if problems:
        raise Unprocessable(f"laporan {period} belum dapat disampaikan: {len(problems)} kekurangan", errors=problems)
    await AgreementRepository(session).lock(agreement.id)
    now = clock()  # read under the lock (as measures.write does)
    current = await _current_or_first(session, agreement, period, now, principal.subject)
    if current.state in DECLARED:  # a concurrent submit won the lock
        raise Conflict(f"laporan {period} sudah berstatus {STATE_LABELS[current.state]}", field="period")
    number = len(await repo.rounds([current.id])) + 1
    await events.record(
        session,
        type="cycle.submitted",
        subject=events.subject_of(agreement.satker_code, agreement.year, period),
        satker=agreement.satker_code,
        payload={
            "revision": current.revision,
            "round": number,
            "submitted_by": principal.subject,
            "due": due.isoformat() if due else None,
            "on_time": now <= due if due else None,
        },
        now=now,
    )
    await repo.add(
        CycleRound(submission_id=current.id, round=number, submitted_at=now, submitted_by=principal.subject, due=due)
    )
    current.state = "submitted"
    await repo.add(current)
    return await period_view(session=session, lineage=lineage, agreement=agreement, period=period, now=now)


# --- validate / return ------------------------------------------------------------------------


async def _decidable(
    session: AsyncSession, principal: Principal, lineage: Sequence[Satker], agreement: Agreement, period: str
) -> tuple[CycleSubmission, CycleRound]:
    await AgreementRepository(session).lock(agreement.id)
    repo = CycleRepository(session)
    current = await repo.current(agreement.id, period)
    if current is None or current.state != "submitted":
        state = current.state if current else "not_started"
        raise Conflict(
            f"laporan {period} berstatus {STATE_LABELS.get(state, state)}: hanya laporan yang disampaikan dapat "
            "divalidasi atau dikembalikan",
            field="period",
        )
    rounds = await repo.rounds([current.id])
    if any(r.submitted_by == principal.subject for r in rounds):
        raise Forbidden("a reviewer may not validate or return a submission they submitted themselves")
    satker = lineage[-1]
    if principal.satker == satker.code and satker.parent_code is not None:
        # a unit never reviews itself: a KPPBC's report is reviewed by its Kanwil; only a Kanwil at
        # the top of the tree is reviewed inside itself (its Bidang Kepatuhan Internal, K3)
        raise Forbidden(f"a reviewer of {satker.code} may not validate their own unit's submission")
    return current, rounds[-1]


async def decide(
    *,
    session: AsyncSession,
    principal: Principal,
    lineage: Sequence[Satker],
    agreement: Agreement,
    period: str,
    decision: str,
    reasons: dict[str, str] | None,
    remark: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Validate (``decision="validated"``) or return (``"returned"``, a reason per IKU) the round."""
    if decision == "returned":
        if not reasons:
            raise Unprocessable("a return needs a reason for at least one IKU", field="reasons")
        codes = {i.code for i in await AgreementRepository(session).indicators([agreement.id])}
        errors = [
            FieldError(field=f"reasons.{c}", reason=f"IKU {c} is not in agreement {agreement.number}")
            for c in reasons
            if c not in codes
        ] + [FieldError(field=f"reasons.{c}", reason="needs a reason") for c, r in reasons.items() if _blank(r)]
        if errors:
            raise Unprocessable(errors[0].reason, errors=errors)
    current, last = await _decidable(session, principal, lineage, agreement, period)
    last.decision, last.decided_at, last.decided_by = decision, now, principal.subject
    last.reasons, last.remark = (reasons if decision == "returned" else None), remark
    current.state = decision
    if decision == "validated":
        current.validated_at = now
    await CycleRepository(session).add(last, current)
    await events.record(
        session,
        type=f"cycle.{decision}",
        subject=events.subject_of(agreement.satker_code, agreement.year, period),
        satker=agreement.satker_code,
        payload={
            "revision": current.revision,
            "round": last.round,
            "decided_by": principal.subject,
            "reasons": last.reasons,
            "remark": remark,
        },
        now=now,
    )
    return await period_view(session=session, lineage=lineage, agreement=agreement, period=period, now=now)


# --- reopen -----------------------------------------------------------------------------------


async def reopen(
    *,
    session: AsyncSession,
    principal: Principal,
    lineage: Sequence[Satker],
    agreement: Agreement,
    period: str,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    if _blank(reason):
        raise Unprocessable("reopening needs a reason", field="reason")
    await AgreementRepository(session).lock(agreement.id)
    repo = CycleRepository(session)
    current = await repo.current(agreement.id, period)
    if current is None or current.state == "open":
        raise Conflict(f"laporan {period} belum disampaikan: tidak ada yang dibuka kembali", field="period")
    previous_state = current.state
    current.superseded_at = now
    await repo.add(current)
    fresh = CycleSubmission(
        agreement_id=agreement.id,
        satker_code=agreement.satker_code,
        year=agreement.year,
        period=period,
        revision=current.revision + 1,
        state="open",
        opened_at=now,
        opened_by=principal.subject,
        reopen_reason=reason.strip(),
    )
    await repo.add(fresh)
    await events.record(
        session,
        type="cycle.reopened",
        subject=events.subject_of(agreement.satker_code, agreement.year, period),
        satker=agreement.satker_code,
        payload={
            "revision": fresh.revision,
            "previous_revision": current.revision,
            "previous_state": previous_state,
            "reason": fresh.reopen_reason,
            "reopened_by": principal.subject,
        },
        now=now,
    )
    return await period_view(session=session, lineage=lineage, agreement=agreement, period=period, now=now)


# --- publish ----------------------------------------------------------------------------------


def published_json(s: PublishedScorecard, p: Publication) -> dict[str, Any]:
    return {
        "satker": s.satker_code,
        "year": s.year,
        "period": s.period,
        "publication": {
            "publisher": p.satker_code,
            "skep_number": p.skep_number,
            "published_at": p.published_at,
            "published_by": p.published_by,
        },
        "status": "superseded" if s.superseded_at is not None else "current",
        "superseded_at": s.superseded_at,
        "nko": None if s.nko is None else float(s.nko),  # a JSON number (contracts §4)
        "predicate": s.predicate,
        "as_of": s.as_of,
        "inputs_sha256": s.inputs_sha256,
        "input_hashes": s.input_hashes,
        "scorecard": s.scorecard,
    }


async def published(*, session: AsyncSession, satker: str, year: int, period: str) -> list[dict[str, Any]]:
    return [published_json(s, p) for s, p in await CycleRepository(session).published(satker, year, period)]


async def publish(
    *,
    session: AsyncSession,
    peers: Peers,
    principal: Principal,
    lineage: Sequence[Satker],
    year: int,
    period: str,
    skep_number: str,
    clock: Any,
) -> dict[str, Any]:
    kanwil = lineage[-1]
    if calendars.level_of(kanwil.kind) != "kanwil":
        raise Unprocessable(
            f"{kanwil.code} is not a Kanwil: a Kanwil publishes its own and its satker's NKO", field="code"
        )
    if _blank(skep_number):
        raise Unprocessable("publication needs the SKEP NKO number", field="skep_number")
    repo = CycleRepository(session)
    if await repo.skep_taken(skep_number.strip()):
        raise Conflict(f"SKEP {skep_number} is already recorded", field="skep_number")
    members = [s.code for s, _ in await SatkerRepository(session).subtree(kanwil.code)]
    agreements = {a.satker_code: a for a in await AgreementRepository(session).for_satkers(members, year)}
    if kanwil.code not in agreements:
        raise Unprocessable(f"{kanwil.code} has no agreement for {year}", field="year")
    ids = {a.id: code for code, a in agreements.items()}
    subs = await repo.current_for(list(ids), period)
    blocking = [
        FieldError(
            field=f"satkers.{code}",
            reason=f"laporan {period} {code} berstatus "
            + STATE_LABELS[subs[aid].state if aid in subs else "not_started"],
        )
        for aid, code in sorted(ids.items(), key=lambda kv: kv[1])
        if aid is not None and (aid not in subs or subs[aid].state not in ("validated", "published"))
    ]
    if blocking:
        raise Conflict(
            f"periode {period} belum dapat dipublikasikan: {len(blocking)} laporan belum divalidasi",
            field="period",
            errors=blocking,
        )
    previous = await repo.current_publication(kanwil.code, year, period)
    if previous is not None and all(s.state == "published" for s in subs.values()):
        raise Conflict(
            f"periode {period} sudah dipublikasikan dengan SKEP {previous.skep_number}; buka kembali dahulu",
            field="period",
        )
    as_of = clock()
    frozen = await peers["scoring"].get_json(
        FROZEN.format(code=kanwil.code),
        token=principal.token,
        params={"year": year, "period": period, "as_of": as_of.isoformat()},
    )
    items = {i["satker"]: i for i in frozen["items"]}
    missing = sorted(set(agreements) - set(items))
    if missing:
        raise Conflict(f"scoring answered no scorecard for {', '.join(missing)}", field="satkers")
    # everything checked and computed: write (nothing above wrote a row)
    for a in agreements.values():
        await AgreementRepository(session).lock(a.id)
    now = clock()
    current = await repo.current_for(list(ids), period)
    if any(s.state not in ("validated", "published") for s in current.values()) or len(current) != len(ids):
        raise Conflict("a submission changed while the period was being published; try again", field="period")
    publication = Publication(
        satker_code=kanwil.code,
        year=year,
        period=period,
        skep_number=skep_number.strip(),
        published_at=now,
        published_by=principal.subject,
    )
    if previous is not None:  # superseded first: at most one current publication (unique index)
        await repo.supersede_publication(previous, now)
    await repo.add(publication)
    if previous is not None:
        previous.superseded_by = publication.id
        await repo.add(previous)
        await events.record(
            session,
            type="cycle.publication_superseded",
            subject=events.subject_of(kanwil.code, year, period),
            satker=kanwil.code,
            payload={"skep_number": previous.skep_number, "superseded_by": publication.skep_number},
            now=now,
        )
    rows: list[Any] = []
    for code, a in agreements.items():
        item = items[code]
        sub = current[a.id]
        rows.append(
            PublishedScorecard(
                publication_id=publication.id,
                satker_code=code,
                submission_id=sub.id,
                year=year,
                period=period,
                nko=None if item["nko"] is None else Decimal(str(item["nko"])),
                predicate=item["predicate"],
                as_of=as_of,
                inputs_sha256=item["inputs_sha256"],
                input_hashes=item["input_hashes"],
                scorecard=item["scorecard"],
            )
        )
        sub.state, sub.published_at = "published", now
        rows.append(sub)
    await repo.add(*rows)
    await events.record(
        session,
        type="cycle.published",
        subject=events.subject_of(kanwil.code, year, period),
        satker=kanwil.code,
        payload={
            "skep_number": publication.skep_number,
            "published_by": principal.subject,
            "as_of": as_of.isoformat(),
            "satkers": {
                code: {"nko": items[code]["nko"], "predicate": items[code]["predicate"]} for code in sorted(agreements)
            },
            "supersedes": previous.skep_number if previous else None,
        },
        now=now,
    )
    return {
        "satker": kanwil.code,
        "year": year,
        "period": period,
        "skep_number": publication.skep_number,
        "published_at": now,
        "published_by": principal.subject,
        "supersedes": previous.skep_number if previous else None,
        "scorecards": [published_json(s, publication) for s in rows if isinstance(s, PublishedScorecard)],
    }
