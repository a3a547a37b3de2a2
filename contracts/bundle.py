"""The registry bundle (docs/contracts.md §6): everything scoring needs about agreements, in one read.

Format ``kinerja.bundle/v1`` (ADR 0016: additive changes only within a version). The registry
builds it (``services/registry/service/bundles.py``: its dicts are typed with these classes, so
mypy checks the builder against this definition) and answers it under ``GET .../bundle`` and
``.../bundles``; scoring parses the answer with :data:`BUNDLE` / :data:`BUNDLES`
(``services/scoring/store/peers.py``). Every field is required: a field the registry forgot is a
validation error naming it on scoring's side, never a default (before, a missing ``polarity``
silently became ``max``). ``null`` is a value where the type says so (``scale``, ``parent``...).

Strict where the producer is ours: ``extra="forbid"``, so the registry's tests catch a field
the contract does not know. The reader relaxes that one rule only (``extra="ignore"`` at
validation, :func:`read_bundle`), so a newer registry with an added optional field still
satisfies an older scoring during a rolling deploy (ADR 0016's tolerant reader).

Vocabularies are text, not enumerations, on the reader's side for the same reason: ``polarity``
is a key of the rule set's ``polarity`` map (``max``, ``min``, ``stabilize`` today; the engine
answers a polarity its rule set lacks with a grey index and the reason), ``consolidation`` is
``take_last_known_value``, ``sum`` or ``average``, ``region_aggregation`` ``sum_of_parts``,
``mean`` or ``own``. The registry's input models keep them strict.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, with_config
from typing_extensions import TypedDict

from contracts.wire import Document, Num, Timestamp

FORMAT = "kinerja.bundle/v1"
#: the response header of the bundle route with the moment the bundle stands for (its ``as_of``),
#: on 200 and on 304 alike: after a 304 the caller's copy stands for this moment (ADR 0026)
AS_OF_HEADER = "Kinerja-As-Of"


@with_config(extra="forbid")
class BundleSatker(TypedDict):
    code: str
    name: str
    kind: str
    parent: str | None
    #: org codes root..satker (what ``kernel.auth.ensure_allowed`` takes)
    path: list[str]
    staff: int | None


@with_config(extra="forbid")
class BundleAgreement(TypedDict):
    number: str
    year: int
    level: str
    #: 1 + the number of addenda recorded by ``as_of``
    version: int


@with_config(extra="forbid")
class BundleRuleSet(TypedDict):
    code: str
    version: int
    #: the rule-set document as stored (:class:`contracts.rule_set.RuleSetDocument`)
    document: Document


@with_config(extra="forbid")
class BundleAddendum(TypedDict):
    number: str
    version: int
    recorded_at: Timestamp
    recorded_by: str
    note: str | None


@with_config(extra="forbid")
class BundleObjective(TypedDict):
    code: str
    name: str
    perspective: str
    weight: Num


@with_config(extra="forbid")
class BundleManual(TypedDict):
    version: int
    #: the manual document as stored (scoring's manual language, validated by scoring when stored)
    document: Document


@with_config(extra="forbid")
class BundleTarget(TypedDict):
    #: ``null`` where the agreement has "-" for the period
    value: Num | None
    #: the document (agreement or addendum number) that set it
    document: str
    version: int


@with_config(extra="forbid")
class BundleIndicator(TypedDict):
    code: str
    objective: str
    name: str
    polarity: str
    unit: str
    scale: Num | None
    consolidation: str
    validity_control: str | None
    weight: Num
    region_aggregation: str
    #: ``null``: no manual recorded by ``as_of`` (the plain reported realisation is scored)
    manual: BundleManual | None
    #: period → target, periods in calendar order; a period missing is not set
    targets: dict[str, BundleTarget]
    #: period → part name → value; the part ``realization`` is the plain reported realisation
    measures: dict[str, dict[str, Num]]


@with_config(extra="forbid")
class BundleCycle(TypedDict):
    """One quarter's reporting-cycle facts at ``as_of`` (ADR 0020)."""

    state: str
    revision: int
    submitted_at: Timestamp | None
    due: Timestamp | None
    on_time: bool | None


@with_config(extra="forbid")
class Bundle(TypedDict):
    """One satker's agreement of one year as it stood at ``as_of``."""

    as_of: Timestamp
    satker: BundleSatker
    agreement: BundleAgreement
    rule_set: BundleRuleSet
    addenda: list[BundleAddendum]
    objectives: list[BundleObjective]
    indicators: list[BundleIndicator]
    closed_periods: list[str]
    #: quarter → its cycle facts, quarters in period order; ``{}`` without submissions
    cycle: dict[str, BundleCycle]


@with_config(extra="forbid")
class Bundles(TypedDict):
    """The bundles of a satker and every satker under it with an agreement that year (tree order)."""

    as_of: Timestamp
    items: list[Bundle]


BUNDLE: TypeAdapter[Bundle] = TypeAdapter(Bundle)
BUNDLES: TypeAdapter[Bundles] = TypeAdapter(Bundles)


def read_bundle(body: Any) -> Bundle:
    """A decoded bundle answer checked against the contract and returned as plain dicts; unknown
    fields dropped (tolerant reader), every known one required. Raises ``ValidationError``.

    Takes the decoded JSON (orjson), not the bytes: on a 35 kB bundle orjson + validating the
    dicts cost 175 µs against 215 µs for pydantic's own JSON parser (ADR 0023)."""
    return BUNDLE.validate_python(body, extra="ignore")


def read_bundles(body: Any) -> Bundles:
    """:func:`read_bundle` for the ``.../bundles`` answer."""
    return BUNDLES.validate_python(body, extra="ignore")


def check_bundle(raw: bytes | str) -> Bundle:
    """The producer's check (tests): the answer exactly as the contract says, nothing more."""
    return BUNDLE.validate_json(raw)


def check_bundles(raw: bytes | str) -> Bundles:
    return BUNDLES.validate_json(raw)


#: a bundle as OpenAPI shows it: one IKU kept of the shipped 2024 agreement (tests check it meets :data:`BUNDLE`)
EXAMPLE: dict[str, Any] = {
    "as_of": "2024-12-31T16:59:59Z",
    "satker": {
        "code": "WBC.16",
        "name": "Kantor Wilayah DJBC Kalimantan Bagian Timur",
        "kind": "kanwil",
        "parent": None,
        "path": ["WBC.16"],
        "staff": 71,
    },
    "agreement": {"number": "PK-29/BC/2024", "year": 2024, "level": "Kemenkeu-Two", "version": 2},
    "rule_set": {
        "code": "KMK-300-2022",
        "version": 1,
        "document": {
            "code": "KMK-300-2022",
            "version": 1,
            "index": {"floor": 0, "cap": 120},
            "polarity": {
                "max": {"formula": "ratio"},
                "min": {"formula": "two_minus_ratio"},
                "stabilize": {"formula": "stabilize"},
            },
            "perspectives": [
                {"code": "stakeholder", "name": "Stakeholder", "weight": 0.3},
                {"code": "customer", "name": "Customer", "weight": 0.2},
                {"code": "internal_process", "name": "Internal Process", "weight": 0.25},
                {"code": "learning_growth", "name": "Learning & Growth", "weight": 0.25},
            ],
            "predicates": [
                {"name": "Istimewa", "above": 100},
                {"name": "Baik", "at_least": 90},
                {"name": "Butuh Perbaikan", "at_least": 70},
                {"name": "Kurang", "at_least": 50},
                {"name": "Sangat Kurang"},
            ],
            "status_bands": [
                {"status": "green", "at_least": 100},
                {"status": "yellow", "at_least": 80},
                {"status": "red"},
            ],
        },
    },
    "addenda": [
        {
            "number": "PK-29A/BC/2024",
            "version": 2,
            "recorded_at": "2024-07-01T00:00:00Z",
            "recorded_by": "admin",
            "note": "4a-N quarterly targets",
        }
    ],
    "objectives": [
        {
            "code": "SS-1",
            "name": "Dukungan terhadap perekonomian yang optimal",
            "perspective": "stakeholder",
            "weight": 1.0,
        }
    ],
    "indicators": [
        {
            "code": "1b-N",
            "objective": "SS-1",
            "name": "Persentase efektivitas asistensi UMKM berorientasi ekspor",
            "polarity": "max",
            "unit": "percent",
            "scale": None,
            "consolidation": "take_last_known_value",
            "validity_control": "P/M",
            "weight": 1.0,
            "region_aggregation": "own",
            "manual": {"version": 1, "document": {"realization": {"op": "reported"}}},
            "targets": {"Y": {"value": 82.0, "document": "PK-29/BC/2024", "version": 1}},
            "measures": {"Y": {"realization": 99.39}},
        }
    ],
    "closed_periods": ["Q1", "Q2"],
    "cycle": {
        "Q1": {
            "state": "published",
            "revision": 1,
            "submitted_at": "2024-04-08T03:00:00Z",
            "due": "2024-04-10T16:59:59Z",
            "on_time": True,
        }
    },
}
