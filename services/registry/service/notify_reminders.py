"""Reminders of the reporting cycle (issue 11, ADR 0021), computed from the calendar in force and
the submissions at the instant ``now`` (a clock passed in; the tests use a fake one).

For every agreement of this year and the last (Q4 is due in January), every quarter and every
deadline the satker must meet (``realisations_due``, ``evidence_due``; the same day in the
preset, then one reminder), while the quarter is not submitted (no submission, ``open`` or
``returned``):

* 7, 3 and 1 days before the deadline: the step whose window ``now`` falls in
  (``d7``: 7 ≥ days left > 3, ``d3``: 3 ≥ left > 1, ``d1``: 1 ≥ left > 0);
* after it: ``overdue``, once;

each queued as an e-mail to the satker's responsible operator under the key
``reminder:<satker>:<year>:<period>:<deadline day>:<step>``, so it is sent once however often the
worker runs, and a worker that was down sends only the step that is due now. The Kanwil (the
parent of the late satker) gets one digest per day listing who is late
(``digest:<kanwil>:<day>``). A satker without a recipient address gets nothing (nobody to
write to); the delivery log shows what was sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.service import cycle_calendar as calendars
from services.registry.service import notify
from services.registry.store.notify_repository import NotifyRepository
from services.registry.store.repositories import SatkerRepository

#: deadlines a satker must meet in a quarter (the reviewer's and the Kanwil's come later)
SATKER_DEADLINES = ("realisations_due", "evidence_due")
#: submission states that need no reminder any more
DONE = ("submitted", "validated", "published")
#: the reminder steps, (name, upper bound of days left); checked from the nearest
STEPS = (("d1", 1), ("d3", 3), ("d7", 7))


def step_at(deadline: datetime, now: datetime) -> str | None:
    left = deadline - now
    if left <= timedelta(0):
        return "overdue"
    for name, days in STEPS:
        if left <= timedelta(days=days):
            return name
    return None


def reminder_text(satker: str, year: int, period: str, deadline: datetime, step: str) -> tuple[str, str]:
    when = deadline.strftime("%d-%m-%Y %H:%M %z")
    if step == "overdue":
        return (
            f"[kinerja] Laporan {satker} {period} {year} terlambat",
            f"Batas waktu laporan kinerja {period} {year} untuk {satker} telah lewat ({when}).\n"
            "Segera lengkapi capaian dan bukti dukung lalu kirim laporan.\n",
        )
    days = step.removeprefix("d")
    return (
        f"[kinerja] Pengingat: laporan {period} {year} jatuh tempo {days} hari lagi",
        f"Laporan kinerja {period} {year} untuk {satker} jatuh tempo dalam {days} hari ({when}).\n"
        "Mohon lengkapi capaian dan bukti dukung lalu kirim laporan sebelum batas waktu.\n",
    )


def digest_text(kanwil: str, late: list[tuple[str, str, int, datetime]]) -> tuple[str, str]:
    lines = "\n".join(
        f"- {satker}: {period} {year}, batas waktu {deadline.strftime('%d-%m-%Y')}"
        for satker, period, year, deadline in late
    )
    return (
        f"[kinerja] Ringkasan keterlambatan laporan di bawah {kanwil}",
        f"Satker berikut belum mengirim laporan kinerja setelah batas waktu:\n{lines}\n",
    )


async def queue_due(session: AsyncSession, *, now: datetime) -> int:
    """Queue the reminders and digests due at ``now``; returns how many were newly queued."""
    repo = NotifyRepository(session)
    agreements = await repo.agreements_of_years([now.year - 1, now.year])
    current = await repo.current_submissions([a.id for a in agreements])
    queued = 0
    late: dict[str, list[tuple[str, str, int, datetime]]] = defaultdict(list)
    for agreement in agreements:
        lineage = await SatkerRepository(session).lineage(agreement.satker_code)
        found = await calendars.in_force(session=session, lineage=lineage, year=agreement.year, as_of=now)
        if found is None:
            continue
        document = found[0].document
        address = await notify.recipient_of(session, agreement.satker_code)
        for period in sorted(document["periods"]):
            sub = current.get((agreement.id, period))
            if sub is not None and sub.state in DONE:
                continue
            deadlines = sorted({calendars.instant(document, period, name) for name in SATKER_DEADLINES})
            for deadline in deadlines:
                step = step_at(deadline, now)
                if step is None:
                    continue
                if step == "overdue" and len(lineage) > 1:
                    late[lineage[-2].code].append((agreement.satker_code, period, agreement.year, deadline))
                if address is None:
                    continue
                subject, text = reminder_text(agreement.satker_code, agreement.year, period, deadline, step)
                key = f"reminder:{agreement.satker_code}:{agreement.year}:{period}:{deadline.date()}:{step}"
                queued += await notify.queue_message(
                    session, key=key, kind=f"reminder.{step}", to=address, subject=subject, text=text, now=now
                )
    for kanwil, items in sorted(late.items()):
        address = await notify.recipient_of(session, kanwil)
        if address is None:
            continue
        subject, text = digest_text(kanwil, sorted(items))
        queued += await notify.queue_message(
            session,
            key=f"digest:{kanwil}:{now.date()}",
            kind="digest.late",
            to=address,
            subject=subject,
            text=text,
            now=now,
        )
    return queued
