"""Zona Integritas: the time of one evaluation's results (engine), against plain float arithmetic.

A synthetic full LKE on the shipped PermenPANRB-90-2021 template: 20 questions per area half
(240 lever questions, scales cycled) plus the three hasil items. One "evaluation" = score every
answer, areas, components, both predicates with all their checks and the points missing, plus the
gap view against a second level. Baseline: plain floats summing value × weight of the same answers
(no validation, no checks). The ratio engine / baseline is printed.

    python -m bench.bench_zi [--rounds 200]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from services.scoring.engine import zi
from services.scoring.engine.numbers import display

SEED = Path(__file__).resolve().parents[1] / "services/registry/seed/zi-ngurah-rai"
PER_HALF = 20
ANSWERS = {"yes_no": "yes", "abc": "B", "a_d": "C", "a_e": "B"}
FLOAT_VALUE = {"yes_no": 1.0, "abc": 0.5, "a_d": 0.33, "a_e": 0.75}


def _doc() -> tuple[dict[str, Any], dict[str, Any]]:
    with (SEED / "template-permenpanrb-90-2021.yaml").open(encoding="utf-8") as fh:
        template: dict[str, Any] = yaml.safe_load(fh)
    with (SEED / "thresholds.yaml").open(encoding="utf-8") as fh:
        thresholds: dict[str, Any] = yaml.safe_load(fh)
    scales = list(ANSWERS)
    questions: list[dict[str, Any]] = []
    for area in template["components"][0]["areas"]:
        for half, weight in area["weights"].items():
            share = Decimal(weight) / PER_HALF
            for i in range(PER_HALF):
                questions.append(
                    {
                        "code": f"{area['code']}.{half}.{i}",
                        "scale": scales[i % 4],
                        "weight": str(share),
                        "area": area["code"],
                        "half": half,
                    }
                )
    questions += [
        {"code": "ipak", "scale": "survey", "weight": "17.5", "item": "anti_corruption_perception"},
        {"code": "kinerja", "scale": "yes_no", "weight": "5", "item": "performance"},
        {"code": "ipkp", "scale": "survey", "weight": "17.5", "item": "service_quality_perception"},
    ]
    template["questions"] = questions
    return template, thresholds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    tdoc, thdoc = _doc()
    template = zi.template_from_document(tdoc)
    thresholds = zi.thresholds_from_document(thdoc, template)
    unit: dict[str, object] = {q.code: ANSWERS.get(q.scale, "3.7") for q in template.questions}
    evaluator = dict(unit)
    evaluator.update({q.code: "C" for q in template.questions[::7] if q.scale in ("abc", "a_d", "a_e")})

    started = time.perf_counter()
    for _ in range(args.rounds):
        r = zi.results(template, thresholds, zi.score_answers(template, evaluator))
        zi.gap_view(template, unit, evaluator)
    engine = (time.perf_counter() - started) / args.rounds

    plain = [(q.scale, float(q.weight)) for q in template.questions]
    started = time.perf_counter()
    for _ in range(args.rounds):
        total = 0.0
        for scale, weight in plain:
            total += FLOAT_VALUE.get(scale, 3.7 / 4) * weight
    baseline = (time.perf_counter() - started) / args.rounds
    print(f"questions: {len(template.questions)}, predicate: {r.predicate}, total: {display(r.total)}")
    print(f"one evaluation's results + gap view: {engine * 1e3:.3f} ms; plain float sum: {baseline * 1e3:.4f} ms")
    print(f"ratio engine / baseline: {engine / baseline:.1f}")


if __name__ == "__main__":
    main()
