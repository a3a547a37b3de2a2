"""The Zona Integritas demo of KPPBC TMP Ngurah Rai, loaded through the registry's API (issue 13).

2018: the seed's component totals per team (``zi-ngurah-rai/evaluations.yaml``: the ministry team
as the ``kanwil`` level, the national team as the ``national`` level). 2020: the ILLUSTRATIVE
evaluation down to the answers (``illustrative-2020.yaml``) with the illustrative template
(``template-demo-illustrative.yaml``). Each level is entered by the role the policy asks for
(``services.registry.service.zi_evaluations.LEVEL_RULES``) under a different subject, so the demo
goes through the same checks as real users (nobody evaluates their own unit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from kernel.client import ServiceClient

FOLDER = Path(__file__).resolve().parent / "zi-ngurah-rai"
R = "/api/v1/registry"
#: (role, satker, subject) → bearer token
Mint = Callable[[str, str | None, str], str]
TEAM_LEVEL = {"tpi": "kanwil", "tpn": "national"}


def _yaml(name: str) -> Any:
    with (FOLDER / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def demo_template() -> dict[str, Any]:
    found: dict[str, Any] = _yaml("template-demo-illustrative.yaml")
    return found


async def load_zi_demo(client: ServiceClient, mint: Mint) -> None:
    seed = _yaml("evaluations.yaml")
    answers = _yaml("illustrative-2020.yaml")
    office, kanwil = seed["satker"]["code"], seed["satker"]["parent"]
    admin = mint("admin", None, "kinerja-seed")
    writers = {
        "unit": mint("satker_operator", office, "operator.zi@ngurah-rai"),
        "kanwil": mint("reviewer", kanwil, "tim-penilai-internal@kanwil-bali"),
        "national": mint("admin", None, "tim-penilai-nasional@kemenpanrb"),
    }
    for body in (
        {"code": kanwil, "name": seed["satker"]["parent_name"], "kind": "kanwil", "parent": None},
        {"code": office, "name": seed["satker"]["name"], "kind": "kppbc_madya", "parent": kanwil},
    ):
        await client.request("POST", f"{R}/satkers", token=admin, json=body)
    template = demo_template()
    await client.request("POST", f"{R}/zi/templates", token=admin, json=template)
    ref = {"code": template["code"], "version": template["version"]}
    base = f"{R}/satkers/{office}/zi/evaluations"
    for ev in seed["evaluations"]:
        if not ev["results"]:
            continue
        await client.request(
            "POST",
            base,
            token=admin,
            json={
                "year": ev["year"],
                "template": ref,
                "proposed_predicate": ev["proposed_predicate"],
                "note": f"Nilai per tim dari seed 002 ({ev['source']}); templat ilustratif. {ev['note']}"[:2000],
            },
        )
        for team in ev["results"]:
            level = TEAM_LEVEL[team["team"]]
            body = {
                "totals": {"pengungkit": team["pengungkit"], "hasil": team["hasil"]},
                "team_label": team["team_label"],
            }
            await client.request("PUT", f"{base}/{ev['year']}/levels/{level}", token=writers[level], json=body)
            await client.request("POST", f"{base}/{ev['year']}/levels/{level}/submit", token=writers[level])
    year = answers["year"]
    await client.request(
        "POST",
        base,
        token=writers["unit"],
        json={
            "year": year,
            "template": answers["template"],
            "proposed_predicate": "WBBM",
            "note": "ILUSTRATIF: jawaban ditulis untuk demo; seed 002 hanya mencatat predikat WBBM 2020.",
        },
    )
    for level, given in answers["levels"].items():
        await client.request("PUT", f"{base}/{year}/levels/{level}", token=writers[level], json={"answers": given})
        await client.request("POST", f"{base}/{year}/levels/{level}/submit", token=writers[level])
