"""The reporting-cycle demo of Kalbagtim 2024, loaded through the registry's API (issue 11, ADR 0024).

ILLUSTRATIVE data (``kalbagtim-2024/kppbc-illustrative.yaml``): the six KPPBC's 2024 agreements,
cascaded from the Kanwil's (its SS, IKU and targets; the realisations invented per office), then
the quarters walked through the cycle by the roles the policy asks for, each under its own
subject: the operator of each office submits (an analysis note first for every IKU the registry
names as below target, exactly as a user answers the 422), the Kanwil's reviewer (K3) validates
or returns, the Kanwil's manager publishes Q1-Q3 with their SKEP. Q4 is left in the states the
data file lists (validated, submitted, returned, not submitted = overdue).

The cycle runs on the real clock: the demo is loaded long after the 2024 deadlines, so every
round is recorded as submitted late (measured, not typed in) and the publications' ``as_of`` is
the load time. The measures, by contrast, carry the time they were reported (the import's
``measures_recorded_at``: the Kanwil's assumed from the calendar, the offices' illustrative), so
``as_of=2024-12-31`` shows what was known at the year's end.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from kernel.client import ServiceClient
from kernel.errors import ProblemError
from services.registry.seed import load_seed_document
from services.registry.seed.zi_demo import Mint

FILE = Path(__file__).resolve().parent / "kalbagtim-2024" / "kppbc-illustrative.yaml"
R = "/api/v1/registry"
QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def illustrative() -> dict[str, Any]:
    with FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def kppbc_documents(data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The six import documents: the Kanwil's objectives, IKU and targets (no addenda, manuals or
    measures), each office's illustrative realisations as the ``realization`` part."""
    data = data or illustrative()
    kanwil = load_seed_document()["agreement"]
    docs = []
    for code, office in data["offices"].items():
        agreement = {
            "satker": code,
            "year": data["year"],
            "number": data["number"].format(code=code),
            "level": "Kemenkeu-Three",
            "rule_set": copy.deepcopy(kanwil["rule_set"]),
            "signed_on": kanwil.get("signed_on"),
            "recorded_at": kanwil.get("recorded_at"),  # signed with the Kanwil's, cascaded from it
            "objectives": copy.deepcopy(kanwil["objectives"]),
            "indicators": copy.deepcopy(kanwil["indicators"]),
            "measures": {
                iku: {period: {"realization": value} for period, value in periods.items()}
                for iku, periods in office["measures"].items()
            },
            "measures_recorded_at": dict(data["measures_recorded_at"]),
        }
        docs.append({"format": "kinerja.agreement/v1", "satkers": [], "agreement": agreement})
    return docs


def _cycle(code: str, year: int, rest: str) -> str:
    return f"{R}/satkers/{code}/agreements/{year}/cycle{rest}"


async def _submit(client: ServiceClient, data: dict[str, Any], code: str, period: str, token: str) -> None:
    """Submit as an operator does: a refusal for missing analysis notes is answered with the notes
    and the submission repeated; any other gap is a fault of the data file and is raised."""
    year = data["year"]
    try:
        await client.request("POST", _cycle(code, year, f"/{period}/submit"), token=token)
        return
    except ProblemError as exc:
        fields = [e.field for e in exc.errors or []]
        if exc.status_code != 422 or not fields or not all(f.endswith(".analysis_note") for f in fields):
            raise
    for field in fields:
        iku = field.split(".")[1]
        note = {k: v.format(iku=iku, period=period) for k, v in data["note_text"].items()}
        await client.request("PUT", _cycle(code, year, f"/{period}/notes/{iku}"), token=token, json=note)
    await client.request("POST", _cycle(code, year, f"/{period}/submit"), token=token)


async def load_agreements(client: ServiceClient, admin: str, data: dict[str, Any] | None = None) -> None:
    """The six illustrative agreements and the Kanwil's illustrative measures (``kanwil_measures``),
    through the registry's API with an admin token (the Kanwil's agreement is imported already)."""
    data = data or illustrative()
    year, kanwil = data["year"], data["kanwil"]
    for doc in kppbc_documents(data):
        await client.request("POST", f"{R}/import", token=admin, json=doc)
    for iku, periods in data["kanwil_measures"].items():
        for period, value in periods.items():
            path = f"{R}/satkers/{kanwil}/agreements/{year}/indicators/{iku}/measures/{period}"
            etag = (await client.request("GET", path, token=admin)).headers["ETag"]
            body = {"parts": {"realization": value}}
            await client.request("PUT", path, token=admin, json=body, headers={"If-Match": etag})


async def load_cycle_demo(client: ServiceClient, mint: Mint) -> None:
    data = illustrative()
    year, kanwil = data["year"], data["kanwil"]
    users = data["users"]
    admin = mint("admin", None, users["admin"])
    reviewer = mint("reviewer", kanwil, users["reviewer"])
    manager = mint("kanwil_manager", kanwil, users["manager"])
    await load_agreements(client, admin, data)
    offices = [kanwil, *data["offices"]]
    operators = {c: mint("satker_operator", c, users["operator"].format(code=c)) for c in offices}
    for period, skep in data["cycle"]["published"].items():
        for code in offices:
            await _submit(client, data, code, period, operators[code])
            await client.request("POST", _cycle(code, year, f"/{period}/validate"), token=reviewer)
        await client.request(
            "POST", _cycle(kanwil, year, f"/{period}/publish"), token=manager, json={"skep_number": skep}
        )
    for code, state in data["cycle"]["Q4"].items():
        if state == "not_started":
            continue
        await _submit(client, data, code, "Q4", operators[code])
        if state == "validated":
            await client.request("POST", _cycle(code, year, "/Q4/validate"), token=reviewer)
        elif state == "returned":
            body = {"reasons": data["cycle"]["return_reasons"]}
            await client.request("POST", _cycle(code, year, "/Q4/return"), token=reviewer, json=body)
