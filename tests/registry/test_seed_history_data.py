"""Consistency of the transcribed LAKIN 2024 history and budget data (seed ``kalbagtim-2024``).

The files are transcriptions; these tests check them against each other and against the
shipped 2024 agreement, so a mistyped number shows up. Where the printed report is itself
inconsistent, the row carries a ``note`` and is listed here explicitly: a new exception must be
added on purpose, and a listed one that no longer deviates fails too (the list cannot go stale).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import yaml

from services.registry.seed import SEED_DIR

FOLDER = SEED_DIR / "kalbagtim-2024"
CAP = Decimal(120)

# (series code or key, year) whose printed index does not follow the rule; each has a `note`.
INDEX_EXCEPTIONS = {
    ("3a-CP", 2022),  # prints 120, R/T gives 119.22
    ("6b-N", 2023),  # prints 113.64, R/T gives 113.54
    ("9a-N", 2023),  # prints 120, R/T gives 119.05
    ("9a-N", 2024),  # prints 120, R/T gives 118.34 (Tabel 3.3 prints 118.34)
    ("11a-N", 2021),  # prints 100.52, computed from the percentages 96/95.5
}
# IKU whose five-year table prints no target for 2024.
NO_PRINTED_TARGET_2024 = {"7a-N"}
# IKU without five-year figures in the seed text (charts / an image only).
NO_HISTORY = {"8a-N", "8b-N"}
SOURCE = re.compile(r"^LAKIN 2024, Tabel \d\.\d+ \(baris \d+-\d+")


def _load(name: str) -> Any:
    with (FOLDER / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def history() -> dict[str, Any]:
    data: dict[str, Any] = _load("history.yaml")
    return data


@pytest.fixture(scope="module")
def budget() -> dict[str, Any]:
    data: dict[str, Any] = _load("budget.yaml")
    return data


@pytest.fixture(scope="module")
def agreement() -> dict[str, Any]:
    data: dict[str, Any] = _load("agreement.yaml")["agreement"]
    return data


def dec(value: Any) -> Decimal:
    """Exact decimal of a transcribed number; numbers must be strings (no float rounding)."""
    assert isinstance(value, str), f"number must be a quoted string, got {value!r}"
    return Decimal(value)


def printed_round(value: Decimal, printed: str) -> Decimal:
    """Round ``value`` to as many decimals as ``printed`` shows (half up, as the report rounds)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def rule_index(polarity: str, target: Decimal, realization: Decimal) -> Decimal:
    ratio = realization / target
    raw = ratio * 100 if polarity == "max" else (2 - ratio) * 100
    return min(raw, CAP)


def series(history: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [(str(s["code"]), s) for s in history["indicators"]]
    out += [(str(s["key"]), s) for s in history["sub_indicators"]]
    return out


def test_history_parses_and_covers_every_2024_iku(history: dict[str, Any], agreement: dict[str, Any]) -> None:
    assert history["format"] == "kinerja.history/v1"
    assert history["granularity"] == "yearly_total"
    codes = [s["code"] for s in history["indicators"]]
    assert len(codes) == len(set(codes))
    assert set(codes) == {i["code"] for i in agreement["indicators"]}
    for key, s in series(history):
        assert SOURCE.match(s["source"]), (key, s["source"])
        years = [r["year"] for r in s["rows"]]
        assert years == sorted(years) and len(years) == len(set(years)), key
        assert set(history["years"]) <= set(years), key
        for row in s["rows"]:
            assert row["name"] and row["unit"], (key, row["year"])
            for field in ("target", "realization", "index", "target_percent", "realization_percent"):
                if row.get(field) is not None:
                    dec(row[field])
            if row["year"] < 2024:
                assert row["code"] is None, (key, row["year"])  # the five-year tables print no codes
    for s in history["indicators"]:
        if s["code"] in NO_HISTORY:
            assert s.get("note"), s["code"]
            assert all(r["realization"] is None for r in s["rows"] if r["year"] < 2024)


def test_2024_rows_equal_the_shipped_agreement(history: dict[str, Any], agreement: dict[str, Any]) -> None:
    by_code = {i["code"]: i for i in agreement["indicators"]}
    for s in history["indicators"]:
        code = s["code"]
        iku = by_code[code]
        (row,) = [r for r in s["rows"] if r["year"] == 2024]
        assert row["code"] == code
        assert s["polarity"] == iku["polarity"], code
        assert row["unit"] == iku["unit"], code
        assert dec(row["realization"]) == Decimal(str(agreement["measures"][code]["Y"]["realization"])), code
        if code in NO_PRINTED_TARGET_2024:
            assert row["target"] is None and row.get("note"), code
        else:
            assert dec(row["target"]) == Decimal(str(iku["targets"]["Y"])), code


def test_2024_sub_series_row_is_the_agreements_measure_part(history: dict[str, Any]) -> None:
    """The sub-series' 2024 row is recorded (the agreement has no target or index of a part), but
    its realisation is the part the agreement computes its IKU from: they cannot drift apart."""
    manuals = _load("manuals.yaml")
    parts = {"manajemen-risiko": "risk_mitigation"}  # sub-series key -> the manual's part name
    for sub in history["sub_indicators"]:
        (row,) = [r for r in sub["rows"] if r["year"] == 2024]
        measured = manuals[sub["part_of"]]["measures"]["Y"][parts[sub["key"]]]
        assert dec(row["realization"]) == Decimal(str(measured)), sub["key"]


def test_earlier_years_link_to_the_2024_indicator(history: dict[str, Any]) -> None:
    for s in history["indicators"]:
        for row in s["rows"]:
            if row["year"] == 2024:
                continue
            if row["same_indicator_as"] is None:
                # the indicator did not exist that year: nothing was printed, and the row says so
                assert row["realization"] is None and row.get("note"), (s["code"], row["year"])
            else:
                assert row["same_indicator_as"] == s["code"], (s["code"], row["year"])


def test_printed_index_follows_the_rule_or_is_a_listed_exception(history: dict[str, Any]) -> None:
    checked = 0
    deviating: set[tuple[str, int]] = set()
    for key, s in series(history):
        for row in s["rows"]:
            if row["target"] is None or row["realization"] is None or row["index"] is None:
                continue
            checked += 1
            printed = dec(row["index"])
            expected = printed_round(
                rule_index(s["polarity"], dec(row["target"]), dec(row["realization"])), row["index"]
            )
            if expected != printed:
                deviating.add((key, row["year"]))
                assert row.get("note"), f"{key} {row['year']}: printed {printed}, rule gives {expected}, no note"
    assert deviating == INDEX_EXCEPTIONS
    assert checked >= 60  # guards against a loop that silently checks nothing


def test_rounding_and_rule_helpers() -> None:
    assert printed_round(Decimal("110.8033"), "110.8") == Decimal("110.8")
    assert printed_round(Decimal("112.5"), "112.50") == Decimal("112.50")
    assert rule_index("min", Decimal("1.20"), Decimal("0.37")) == CAP
    assert rule_index("min", Decimal("1"), Decimal("1.1")) == Decimal("90.0")
    assert rule_index("max", Decimal("84.5"), Decimal("100")) < CAP


def test_renja_and_renstra_entries_reference_existing_iku(history: dict[str, Any], agreement: dict[str, Any]) -> None:
    codes = {i["code"] for i in agreement["indicators"]}
    plans = history["plans"]
    assert plans
    seen: set[tuple[str, str]] = set()
    for plan in plans:
        assert plan["iku"] in codes, plan
        assert plan["plan"] in {"renja_kemenkeu", "renstra_djbc"}, plan
        assert plan["year"] == 2024
        assert plan["source"].startswith("LAKIN 2024, "), plan
        assert (plan["iku"], plan["plan"]) not in seen, plan
        seen.add((plan["iku"], plan["plan"]))
        if plan["target"] is not None:
            dec(plan["target"])
            assert plan.get("unit"), plan
        else:
            assert plan["objective"], plan  # a target-less entry must at least say where the IKU sits
    # Tabel 3.16/3.17: realisation and index repeat the 2024 IKU figures
    (revenue,) = [r for s in history["indicators"] if s["code"] == "2a-CP" for r in s["rows"] if r["year"] == 2024]
    for plan in plans:
        if plan.get("realization") is not None:
            assert plan["iku"] == "2a-CP"
            assert dec(plan["realization"]) == dec(revenue["realization"])
            assert dec(plan["index"]) == dec(revenue["index"])


def _percent(part: int, whole: int, printed: str) -> None:
    assert printed_round(Decimal(part) * 100 / Decimal(whole), printed) == Decimal(printed), (part, whole, printed)


def test_budget_summary_and_pagu_history_add_up(budget: dict[str, Any]) -> None:
    assert budget["format"] == "kinerja.budget/v1"
    summary = budget["summary"]
    assert summary["realization"] - summary["budget"] == summary["over_under"]
    _percent(summary["realization"], summary["budget"], summary["percent"])

    pagu = budget["pagu_history"]
    initial = pagu["initial"]["amount"]
    assert pagu["initial"]["dipa"]["amount"] == initial
    assert initial + sum(a["amount"] for a in pagu["additions"]) == pagu["revised"] == summary["budget"]
    types = pagu["by_spending_type"]
    for row in types:
        assert row["initial"] + row["addition"] == row["revised"], row
    assert sum(r["initial"] for r in types) == initial
    assert sum(r["revised"] for r in types) == pagu["revised"]
    for addition in pagu["additions"]:
        (target,) = [r for r in types if r["type"] == addition["spending_type"]]
        assert target["addition"] == addition["amount"]
        assert re.fullmatch(r"ND-\d+/BC\.01/\d{4}", addition["document"]["number"])


def test_budget_per_output_adds_up(budget: dict[str, Any]) -> None:
    rows = budget["by_output"]["rows"]
    for row in rows:
        _percent(row["realization"], row["budget"], row["percent"])
    assert sum(r["budget"] for r in rows) == budget["pagu_history"]["revised"]
    # no printed total: the realisations add up to the gross spending of Tabel 3.85 (see the note)
    assert sum(r["realization"] for r in rows) == budget["realization_by_item"]["total"]["gross"]


def test_budget_revision_and_realisation_tables_add_up(budget: dict[str, Any]) -> None:
    summary = budget["summary"]
    comparison = {y["year"]: y for y in budget["year_comparison"]["years"]}
    for year in comparison.values():
        assert year["realization"] - year["budget"] == year["over_under"], year
        _percent(year["realization"], year["budget"], year["percent"])
    assert (comparison[2024]["budget"], comparison[2024]["realization"]) == (summary["budget"], summary["realization"])

    revision = budget["revision_by_item"]
    assert sum(r["initial"] for r in revision["rows"]) == revision["total"]["initial"]
    assert sum(r["revised"] for r in revision["rows"]) == revision["total"]["revised"] == summary["budget"]
    for kind in budget["pagu_history"]["by_spending_type"]:
        group = [r for r in revision["rows"] if r["group"] == kind["type"]]
        assert sum(r["initial"] for r in group) == kind["initial"], kind["type"]
        assert sum(r["revised"] for r in group) == kind["revised"], kind["type"]

    by_type = budget["realization_by_type"]["rows"]
    for year in ("y2024", "y2023"):
        for row in by_type:
            cell = row[year]
            assert cell["realization"] - cell["budget"] == cell["over_under"], (row["type"], year)
            if cell["budget"]:
                _percent(cell["realization"], cell["budget"], cell["percent"])
        assert sum(r[year]["budget"] for r in by_type) == comparison[int(year[1:])]["budget"], year
        assert sum(r[year]["realization"] for r in by_type) == comparison[int(year[1:])]["realization"], year

    items = budget["realization_by_item"]
    for row in [*items["rows"], items["total"]]:
        assert row["gross"] - row["refunds"] == row["net"], row["item"]
        assert row["revised"] - row["net"] == row["remaining"], row["item"]
        # the printed percentage is of the gross spending (differs from net only where refunds exist)
        _percent(row["gross"], row["revised"], row["percent"])
    for field in ("initial", "revised", "gross", "refunds", "net", "remaining"):
        assert sum(r[field] for r in items["rows"]) == items["total"][field], field
    assert [(r["item"], r["initial"], r["revised"]) for r in items["rows"]] == [
        (r["item"], r["initial"], r["revised"]) for r in revision["rows"]
    ]
    assert items["total"]["net"] == summary["realization"]
    assert items["total"]["remaining"] == -summary["over_under"]


@pytest.mark.parametrize("name", ["history.yaml", "budget.yaml"])
def test_data_files_cite_documents_not_paths(name: str) -> None:
    text = (FOLDER / name).read_text(encoding="utf-8")
    assert not re.search(r"/work|\.\./shared|seeds/|\.txt\b", text)
