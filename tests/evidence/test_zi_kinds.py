"""The evidence kinds of Zona Integritas proofs: every kind a shipped ZI template question asks for
exists in the evidence service, and ZI document numbers parse like any other."""

from __future__ import annotations

import yaml

from services.evidence.service.kinds import KINDS, parse_number
from tests.paths import in_checkout

DEMO = "services/registry/seed/zi-ngurah-rai/template-demo-illustrative.yaml"


def test_every_asked_for_kind_exists() -> None:
    doc = yaml.safe_load(in_checkout(DEMO).read_text(encoding="utf-8"))
    asked = {k for q in doc["template"]["questions"] for k in q["evidence_kinds"]}
    assert asked and asked <= set(KINDS), asked - set(KINDS)


def test_zi_numbers_parse_and_names_are_indonesian() -> None:
    assert parse_number("SK-TIM-ZI", "KEP-12/KPP.MP.01/2020").year == 2020
    assert KINDS["LAPORAN-HASIL-SURVEI"].name.startswith("Laporan Hasil Survei")
