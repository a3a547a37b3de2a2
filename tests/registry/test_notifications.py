"""Notifications (issue 11, ADR 0021) against real parts: PostgreSQL, a real HTTP receiver
(aiohttp on a loopback port) that verifies the HMAC signature, and a real SMTP server (aiosmtpd).

The dispatcher is driven with a fake clock (``now=``) through the same ``run_once`` the worker
loops over; the cycle changes that produce the events go through the registry's API.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from kernel.db import Database
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.registry.service import cycle_events as events
from services.registry.service import notify, notify_worker
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.paths import ROOT
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio

REG = "/api/v1/registry"
YEAR = 2024
KANWIL, CHILD, OTHER = "WBC.81", "KBC.8101", "KBC.8102"
NOTE = {"events_causes": "Rotasi pegawai", "solutions_actions": "Jadwal ulang", "risks": "Target tidak tercapai"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A webhook receiver that checks the signature and applies each event id once."""

    secret: str
    port: int = field(default_factory=free_port)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (event id, body) of every valid POST
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id → body, once
    bad_signatures: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Kinerja-Signature", "")):
            self.bad_signatures += 1
            return web.Response(status=401)
        event_id = request.headers["X-Kinerja-Event-Id"]
        body = await request.json()
        self.posts.append((event_id, body))
        self.applied.setdefault(event_id, body)
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str, str]] = []  # (to, subject, text)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        msg = message_from_bytes(envelope.original_content or b"")
        subject = str(make_header(decode_header(msg["Subject"])))
        part = msg.get_payload(decode=True)
        text = part.decode() if isinstance(part, bytes) else str(msg.get_payload())
        self.messages.append((list(envelope.rcpt_tos), subject, text))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def registry_db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "notify") as url:
        yield url


def documents() -> list[dict[str, Any]]:
    kanwil = mini_document(KANWIL, YEAR, f"PK-{KANWIL}/{YEAR}", parent=None)
    kanwil["satkers"][0]["kind"] = "kanwil"
    docs = [kanwil]
    for code in (CHILD, OTHER):
        docs.append(mini_document(code, YEAR, f"PK-{code}/{YEAR}", parent=KANWIL))
    for doc in docs:
        doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.5}}, "1b-N": {"Q1": {"realization": 3}}}
    return docs


@dataclass
class World:
    client: httpx.AsyncClient
    system: System
    settings: RegistrySettings
    admin: dict[str, str]

    @property
    def db(self) -> Database:
        return self.system.apps["registry"].state.db  # type: ignore[no-any-return]

    async def tick(self, now: datetime) -> notify_worker.Tick:
        async with notify_worker.http_client(self.settings) as http:  # a fresh client: as after a restart
            return await notify_worker.run_once(self.db, self.settings, http, now=now)

    async def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after = 0
        while True:  # walk the cursor pages
            r = await self.client.get(
                f"{REG}/deliveries", params={"after": after, "limit": 2, **params}, headers=self.admin
            )
            assert r.status_code == 200, r.text
            page = r.json()
            items += page["items"]
            if not page["items"]:
                return items
            after = page["next_after"]

    async def subscribe(self, receiver: Receiver, types: list[str]) -> int:
        r = await self.client.post(
            f"{REG}/notifications/subscribers",
            json={"name": "sistem internal", "url": receiver.url, "event_types": types, "secret": receiver.secret},
            headers=self.admin,
        )
        assert r.status_code == 201, r.text
        assert r.json()["secret"] == receiver.secret
        return int(r.json()["id"])

    async def deactivate(self, subscriber_id: int) -> None:
        r = await self.client.delete(f"{REG}/notifications/subscribers/{subscriber_id}", headers=self.admin)
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False

    async def event(self, type: str, satker: str, payload: dict[str, Any]) -> int:
        """Write an outbox event as a committed change does (the outbox is ADR 0020's, tested there)."""
        async with self.db.sessions() as session:
            e = await events.record(
                session,
                type=type,
                subject=events.subject_of(satker, YEAR, "Q2"),
                satker=satker,
                payload=payload,
                now=datetime.now(UTC),
            )
            await session.commit()
            assert e.id is not None
            return e.id


@pytest.fixture(scope="module")
async def world(
    registry_db: str,
    auth: AuthSettings,
    mint: Mint,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: tuple[Mailbox, int],
) -> AsyncIterator[World]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("notify-data")))
    settings = RegistrySettings(
        database_url=registry_db,
        webhook_block_private=False,  # the receiver is on 127.0.0.1
        webhook_timeout_seconds=5,
        delivery_retry_base_seconds=60,
        delivery_max_attempts=3,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_from="kinerja@kanwil.test",
    )
    built = build_system(common=common, auth=auth, settings={"registry": settings}, services=("registry", "scoring"))
    async with running(built):
        transport = httpx.ASGITransport(app=built.apps["registry"])
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            admin = bearer(mint("admin", sub="admin@pusat"))
            for doc in documents():
                r = await client.post(f"{REG}/import", json=doc, headers=admin)
                assert r.status_code == 201, r.text
            w = World(client, built, settings, admin)
            await w.tick(datetime.now(UTC))  # the import's events (none with a subscriber) move the cursor
            yield w


async def test_a_signed_webhook_retried_while_the_receiver_is_down_arrives_once(world: World) -> None:
    receiver = Receiver(secret="rahasia-penerima-uji-0001")
    sub = await world.subscribe(receiver, ["cycle.published"])
    try:
        event_id = await world.event("cycle.published", CHILD, {"skep_number": "KEP-1/2024"})
        t0 = datetime(2030, 1, 1, tzinfo=UTC)

        tick = await world.tick(t0)  # the receiver is down: refused connection
        assert tick.queued == 1 and tick.tried >= 1
        mine = [d for d in await world.deliveries() if d["event_id"] == event_id]
        assert len(mine) == 1
        d = mine[0]
        assert (d["status"], d["attempts"], d["response_code"]) == ("pending", 1, None)
        assert "ConnectError" in d["error"]
        assert datetime.fromisoformat(d["next_attempt_at"]) == t0 + timedelta(seconds=60)

        await receiver.start()
        await world.tick(t0 + timedelta(seconds=30))  # not due yet: the stored back-off holds
        assert receiver.posts == []
        await world.tick(t0 + timedelta(seconds=60))  # due: delivered, by a new HTTP client (a restart)
        await world.tick(t0 + timedelta(seconds=3600))  # nothing left to send
        assert [p[0] for p in receiver.posts] == [str(event_id)]
        assert receiver.bad_signatures == 0
        body = receiver.posts[0][1]
        assert body["id"] == event_id and body["type"] == "cycle.published" and body["satker"] == CHILD
        d = next(d for d in await world.deliveries(status="delivered") if d["event_id"] == event_id)
        assert (d["attempts"], d["response_code"], d["error"]) == (2, 204, None)
    finally:
        await receiver.stop()
        await world.deactivate(sub)


async def test_a_wrong_secret_is_refused_by_the_receiver_and_fails_after_the_last_attempt(world: World) -> None:
    receiver = Receiver(secret="rahasia-penerima-uji-0002")
    await receiver.start()
    r = await world.client.post(
        f"{REG}/notifications/subscribers",
        json={"name": "salah kunci", "url": receiver.url, "event_types": ["cycle.reopened"]},
        headers=world.admin,
    )
    assert r.status_code == 201, r.text
    generated, sub = r.json()["secret"], r.json()["id"]
    assert len(generated) >= 32 and generated != receiver.secret
    listed = (await world.client.get(f"{REG}/notifications/subscribers", headers=world.admin)).json()["items"]
    assert all("secret" not in s for s in listed) and sub in [s["id"] for s in listed]
    try:
        event_id = await world.event("cycle.reopened", CHILD, {"reason": "koreksi"})
        t0 = datetime(2031, 1, 1, tzinfo=UTC)
        for seconds in (0, 60, 180):  # 3 attempts: base 60 s, then 120 s
            await world.tick(t0 + timedelta(seconds=seconds))
        d = next(d for d in await world.deliveries() if d["event_id"] == event_id)
        assert (d["status"], d["attempts"], d["response_code"]) == ("failed", 3, 401)
        assert receiver.bad_signatures == 3 and receiver.posts == []
    finally:
        await receiver.stop()
        await world.deactivate(sub)


async def test_a_crash_after_sending_resends_with_the_same_event_id(world: World) -> None:
    """The POST left, the worker died before its commit: the row is still pending, the next run
    sends it again with the same X-Kinerja-Event-Id, and the receiver applies it once."""
    receiver = Receiver(secret="rahasia-penerima-uji-0003")
    await receiver.start()
    sub = await world.subscribe(receiver, ["cycle.submitted"])
    try:
        event_id = await world.event("cycle.submitted", OTHER, {"revision": 1})
        t0 = datetime(2032, 1, 1, tzinfo=UTC)
        async with world.db.sessions() as session:
            assert await notify.enqueue(session, now=t0) == 1
            await session.commit()
        async with world.db.sessions() as session, notify_worker.http_client(world.settings) as http:
            senders = notify.Senders(http=http, smtp=None)
            await notify.deliver_due(session, senders, now=t0, policy=notify.DeliveryPolicy())
            await session.rollback()  # the crash: sent, not recorded
        assert [p[0] for p in receiver.posts] == [str(event_id)]
        await world.tick(t0)
        await world.tick(t0 + timedelta(days=1))
        assert [p[0] for p in receiver.posts] == [str(event_id), str(event_id)]  # at most one duplicate
        assert list(receiver.applied) == [str(event_id)]
        d = next(d for d in await world.deliveries() if d["event_id"] == event_id)
        assert (d["status"], d["attempts"]) == ("delivered", 1)
    finally:
        await receiver.stop()
        await world.deactivate(sub)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.go.id/hook", "http"),
        ("javascript:alert(1)", "http"),
        ("http:///nohost", "http"),
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://[::1]/hook", "::1"),
        ("http://localhost/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://192.168.0.10/hook", "192.168.0.10"),
    ],
)
async def test_bad_subscriber_urls_are_refused(
    world: World, url: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.settings, "webhook_block_private", True)  # production
    before = (await world.client.get(f"{REG}/notifications/subscribers", headers=world.admin)).json()["items"]
    r = await world.client.post(f"{REG}/notifications/subscribers", json={"name": "x", "url": url}, headers=world.admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["url"]
    assert reason in r.json()["errors"][0]["reason"]
    after = (await world.client.get(f"{REG}/notifications/subscribers", headers=world.admin)).json()["items"]
    assert after == before


async def test_unknown_event_types_and_non_admins_are_refused(world: World, mint: Mint) -> None:
    r = await world.client.post(
        f"{REG}/notifications/subscribers",
        json={"name": "x", "url": "https://example.go.id/hook", "event_types": ["cycle.nope"]},
        headers=world.admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types"
    manager = bearer(mint("kanwil_manager", KANWIL))
    assert (await world.client.get(f"{REG}/deliveries", headers=manager)).status_code == 403
    r = await world.client.put(
        f"{REG}/notifications/recipients/{CHILD}", json={"email": "bukan-alamat"}, headers=world.admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    r = await world.client.put(
        f"{REG}/notifications/recipients/XX.404", json={"email": "a@b.go.id"}, headers=world.admin
    )
    assert r.status_code == 404


async def test_returned_and_validated_are_mailed_in_indonesian(
    world: World, mint: Mint, smtp_server: tuple[Mailbox, int]
) -> None:
    box, _ = smtp_server
    c = world.client
    r = await c.put(f"{REG}/notifications/recipients/{CHILD}", json={"email": "ana@kbc8101.go.id"}, headers=world.admin)
    assert r.status_code == 200, r.text
    op = bearer(mint("satker_operator", CHILD, sub="ana@KBC.8101"))
    reviewer = bearer(mint("reviewer", KANWIL, sub="budi@WBC.81"))
    base = f"{REG}/satkers/{CHILD}/agreements/{YEAR}/cycle/Q1"
    assert (await c.put(f"{base}/notes/1b-N", json=NOTE, headers=op)).status_code == 200
    assert (await c.post(f"{base}/submit", headers=op)).status_code == 200
    r = await c.post(f"{base}/return", json={"reasons": {"1b-N": "Lampirkan daftar UMKM"}}, headers=reviewer)
    assert r.status_code == 200, r.text
    assert (await c.post(f"{base}/submit", headers=op)).status_code == 200
    assert (await c.post(f"{base}/validate", json={"remark": "Lengkap"}, headers=reviewer)).status_code == 200

    start = len(box.messages)
    t0 = datetime(2033, 1, 1, tzinfo=UTC)
    await world.tick(t0)
    await world.tick(t0 + timedelta(hours=1))  # sent once
    mine = [m for m in box.messages[start:] if "Q1" in m[1] and CHILD in m[1]]
    assert [(m[0], m[1]) for m in mine] == [
        (["ana@kbc8101.go.id"], f"[kinerja] Laporan {CHILD}/{YEAR}/Q1 dikembalikan"),
        (["ana@kbc8101.go.id"], f"[kinerja] Laporan {CHILD}/{YEAR}/Q1 divalidasi"),
    ]
    assert "1b-N: Lampirkan daftar UMKM" in mine[0][2] and "dikembalikan oleh peninjau" in mine[0][2]
    logged = [d for d in await world.deliveries() if d["channel"] == "email" and d["target"] == "ana@kbc8101.go.id"]
    assert {(d["kind"], d["status"], d["attempts"]) for d in logged} >= {
        ("cycle.returned", "delivered", 1),
        ("cycle.validated", "delivered", 1),
    }


async def test_reminders_by_a_fake_clock_each_once_and_the_kanwil_digest(
    world: World, smtp_server: tuple[Mailbox, int]
) -> None:
    """OTHER never submits Q2 2024 (preset: due 7 July 2024 23:59:59 +07:00); the Kanwil hears who is late."""
    box, _ = smtp_server
    for code, email in ((OTHER, "sari@kbc8102.go.id"), (KANWIL, "kepala@wbc81.go.id")):
        r = await world.client.put(f"{REG}/notifications/recipients/{code}", json={"email": email}, headers=world.admin)
        assert r.status_code == 200, r.text
    deadline = datetime(2024, 7, 7, 16, 59, 59, tzinfo=UTC)

    def q2_to_other() -> list[str]:
        return [m[1] for m in box.messages if m[0] == ["sari@kbc8102.go.id"] and "Q2" in m[1]]

    ticks: list[datetime] = []

    async def tick(now: datetime) -> None:
        ticks.append(now)
        await world.tick(now)

    await tick(deadline - timedelta(days=8))  # too early
    assert q2_to_other() == []
    for before in (timedelta(days=6, hours=20), timedelta(days=6), timedelta(days=2, hours=1), timedelta(hours=5)):
        await tick(deadline - before)
        await tick(deadline - before + timedelta(minutes=1))  # a second run sends nothing new
    assert q2_to_other() == [
        "[kinerja] Pengingat: laporan Q2 2024 jatuh tempo 7 hari lagi",
        "[kinerja] Pengingat: laporan Q2 2024 jatuh tempo 3 hari lagi",
        "[kinerja] Pengingat: laporan Q2 2024 jatuh tempo 1 hari lagi",
    ]
    late_day = deadline + timedelta(days=1)
    await tick(late_day)
    await tick(late_day + timedelta(hours=2))
    assert q2_to_other()[3:] == [f"[kinerja] Laporan {OTHER} Q2 2024 terlambat"]
    # the Kanwil: one digest a day while anyone under it is late (Q1 2024 of OTHER is, all along)
    digests = [m for m in box.messages if m[0] == ["kepala@wbc81.go.id"] and "Ringkasan" in m[1]]
    assert len(digests) == len({t.date() for t in ticks})
    assert {m[1] for m in digests} == {f"[kinerja] Ringkasan keterlambatan laporan di bawah {KANWIL}"}
    assert f"- {OTHER}: Q1 2024, batas waktu 07-04-2024" in digests[0][2]
    assert f"- {OTHER}: Q2 2024" not in digests[0][2]
    assert f"- {OTHER}: Q2 2024, batas waktu 07-07-2024" in digests[-1][2]
    # CHILD validated Q1 (the test above): not late for Q1
    assert f"- {CHILD}: Q1 2024" not in digests[-1][2]
    # the Kanwil is a satker too: its own overdue quarters reach it as reminders, once each
    own = [m[1] for m in box.messages if m[0] == ["kepala@wbc81.go.id"] and m[1].startswith("[kinerja] Laporan ")]
    assert len(own) == len(set(own)) and f"[kinerja] Laporan {KANWIL} Q1 2024 terlambat" in own


async def test_the_worker_loop_runs_until_cancelled(world: World, tmp_path: Path) -> None:
    receiver = Receiver(secret="rahasia-penerima-uji-0004")
    await receiver.start()
    sub = await world.subscribe(receiver, ["cycle.calendar_recorded"])
    heartbeat = tmp_path / "alive"
    settings = world.settings.model_copy(update={"worker_interval_seconds": 0.05, "worker_heartbeat_file": heartbeat})
    try:
        event_id = await world.event("cycle.calendar_recorded", KANWIL, {"version": 9})
        task = asyncio.create_task(notify_worker.run_forever(world.db, settings))
        for _ in range(200):
            if receiver.posts and heartbeat.exists():  # noqa: ASYNC240 (a stat in a test)
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [p[0] for p in receiver.posts] == [str(event_id)]
        assert heartbeat.exists()  # noqa: ASYNC240 (one stat in a test)
    finally:
        await receiver.stop()
        await world.deactivate(sub)


async def test_the_kinerja_worker_command_delivers(world: World) -> None:
    """``kinerja worker`` as its own process (distributed mode) on the same database."""
    receiver = Receiver(secret="rahasia-penerima-uji-0005")
    await receiver.start()
    sub = await world.subscribe(receiver, ["cycle.note_recorded"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    env |= {
        "KINERJA_REGISTRY_DATABASE_URL": str(world.settings.database_url),
        "KINERJA_REGISTRY_WEBHOOK_BLOCK_PRIVATE": "false",
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "runner.cli", "worker", "--interval", "0.1", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        event_id = await world.event("cycle.note_recorded", CHILD, {"indicator": "1a-N"})
        for _ in range(300):
            if receiver.posts or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert [p[0] for p in receiver.posts] == [str(event_id)]
    finally:
        if process.returncode is None:
            process.terminate()
        out, _ = await process.communicate()
        await receiver.stop()
        await world.deactivate(sub)
    assert process.returncode in (0, -signal.SIGTERM), out.decode()[-2000:]


async def test_the_embedded_mode_runs_the_worker_in_the_app_on_sqlite(
    auth: AuthSettings, mint: Mint, tmp_path: Path
) -> None:
    """``kinerja run``: the registry's lifespan runs the same loop as a task, here on SQLite."""
    heartbeat = tmp_path / "alive"
    settings = RegistrySettings(
        database_url=f"sqlite:///{tmp_path / 'registry.db'}",
        webhook_block_private=False,
        embedded_worker=True,
        worker_interval_seconds=0.05,
        worker_heartbeat_file=heartbeat,
    )
    common = CommonSettings(environment="test", data_dir=tmp_path)
    built = build_system(common=common, auth=auth, settings={"registry": settings}, services=("registry", "scoring"))
    receiver = Receiver(secret="rahasia-penerima-uji-0006")
    await receiver.start()
    try:
        async with running(built):
            transport = httpx.ASGITransport(app=built.apps["registry"])
            async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
                w = World(client, built, settings, bearer(mint("admin", sub="admin@pusat")))
                for doc in documents()[:1]:
                    r = await client.post(f"{REG}/import", json=doc, headers=w.admin)
                    assert r.status_code == 201, r.text
                await w.subscribe(receiver, ["cycle.published"])
                event_id = await w.event("cycle.published", KANWIL, {"skep_number": "KEP-9/2024"})
                for _ in range(200):
                    if receiver.posts and heartbeat.exists():  # noqa: ASYNC240 (a stat in a test)
                        break
                    await asyncio.sleep(0.05)
                assert [p[0] for p in receiver.posts] == [str(event_id)]
                assert heartbeat.exists()  # noqa: ASYNC240
                d = next(d for d in await w.deliveries() if d["event_id"] == event_id)
                assert (d["status"], d["attempts"], d["response_code"]) == ("delivered", 1, 204)
    finally:
        await receiver.stop()
