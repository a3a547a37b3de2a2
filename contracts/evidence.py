"""The evidence facts (docs/contracts.md §8): what ``GET /api/v1/evidence/satkers/{code}/aggregates``
answers and scoring's manuals read.

Format ``kinerja.evidence-facts/v1`` (ADR 0016). Counts and outcomes over verified,
current-revision documents, never scores: the score tables are manual data owned by scoring.
The evidence service answers with :data:`FACTS` as its ``response_model`` (validated,
``extra="forbid"``: a field the contract does not know fails the producer); scoring reads the
answer with :func:`read_facts` (``extra="ignore"``: ADR 0016's tolerant reader) into plain dicts,
which its manuals address by dotted paths (``lpt.by_best_outcome.patrol.ba_tegah``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict

from contracts.wire import IsoDate, Timestamp

FORMAT = "kinerja.evidence-facts/v1"

#: the fixed order of an LPT's outcomes, best first (``best_outcome`` is the first with a count)
OUTCOME_ORDER = ("ba_tegah_special", "ba_tegah", "ba_segel", "sbp")

#: the period's first and last day, inclusive (``from`` is a keyword: the functional form)
Window = TypedDict("Window", {"from": IsoDate, "to": IsoDate})
Window.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]  # what with_config sets


@with_config(extra="forbid")
class Outcomes(TypedDict):
    """How many of each outcome an LPT led to (through its SBPs)."""

    ba_tegah_special: int
    ba_tegah: int
    ba_segel: int
    sbp: int


@with_config(extra="forbid")
class LptItem(TypedDict):
    document_id: str
    number: str
    date: IsoDate
    #: ``patrol``, ``operation`` or ``sea_patrol``
    activity: str
    outcomes: Outcomes
    #: the highest outcome in ``outcomes`` with a count (:data:`OUTCOME_ORDER`), or ``none``
    best_outcome: str


@with_config(extra="forbid")
class LptFacts(TypedDict):
    count: int
    by_activity: dict[str, int]
    #: activity → best outcome → number of LPT
    by_best_outcome: dict[str, dict[str, int]]
    items: list[LptItem]


@with_config(extra="forbid")
class FollowUp(TypedDict):
    """A follow-up of a seizure: a document's ``follow_up_type``, or the implied late seizure
    (``seizure_after_dec_15``, no document: ``document_id``, ``kind`` and ``number`` null)."""

    type: str
    document_id: str | None
    kind: str | None
    number: str | None


@with_config(extra="forbid")
class BaTegahItem(TypedDict):
    document_id: str
    number: str
    date: IsoDate
    special_criteria: bool
    #: the LPT it came from (through an SBP), if that LPT is in the window
    lpt_id: str | None
    follow_ups: list[FollowUp]


@with_config(extra="forbid")
class BaTegahFacts(TypedDict):
    count: int
    items: list[BaTegahItem]


@with_config(extra="forbid")
class SeaPatrolItem(TypedDict):
    document_id: str
    number: str
    date: IsoDate
    #: I..VI
    ship_class: str
    patrol_days: int
    inspections: int
    seizures: int
    targeted_seizures: int
    sealings: int
    sealings_with_findings: int


@with_config(extra="forbid")
class SeaPatrolFacts(TypedDict):
    count: int
    items: list[SeaPatrolItem]


@with_config(extra="forbid")
class IndicatorFacts(TypedDict):
    """The facts of one IKU of a satker in a period: counts and outcomes over its verified
    current documents; no score. Empty sections are present with ``count: 0``."""

    satker: str
    indicator: str
    year: int
    period: str
    window: Window
    #: the moment the facts hold at
    as_of: Timestamp | None
    basis: Literal["verified"]
    #: kind → number of documents counted
    documents: dict[str, int]
    lpt: LptFacts
    ba_tegah: BaTegahFacts
    sea_patrols: SeaPatrolFacts


@with_config(extra="forbid")
class ManyIndicatorFacts(TypedDict):
    """The facts of several IKU of one satker (``indicator`` repeated), by code; each value is
    exactly the one-IKU answer."""

    satker: str
    year: int
    period: str
    window: Window
    as_of: Timestamp
    basis: Literal["verified"]
    indicators: dict[str, IndicatorFacts]


Facts = IndicatorFacts | ManyIndicatorFacts
FACTS: TypeAdapter[IndicatorFacts | ManyIndicatorFacts] = TypeAdapter(Facts)
ONE: TypeAdapter[IndicatorFacts] = TypeAdapter(IndicatorFacts)
MANY: TypeAdapter[ManyIndicatorFacts] = TypeAdapter(ManyIndicatorFacts)


def read_facts(body: Any) -> IndicatorFacts:
    """The decoded one-IKU answer, checked (tolerant reader). Raises ``ValidationError``."""
    return ONE.validate_python(body, extra="ignore")


def read_many_facts(body: Any) -> ManyIndicatorFacts:
    """The decoded several-IKU answer, checked (tolerant reader). Raises ``ValidationError``."""
    return MANY.validate_python(body, extra="ignore")


#: one IKU's facts as OpenAPI shows them (docs/contracts.md §8; ``tests`` check it meets :data:`ONE`)
EXAMPLE: dict[str, Any] = {
    "satker": "KBC.1602",
    "indicator": "3a-CP",
    "year": 2024,
    "period": "Q1",
    "window": {"from": "2024-01-01", "to": "2024-03-31"},
    "as_of": "2024-04-02T08:00:00+00:00",
    "basis": "verified",
    "documents": {"BA Tegah": 1, "LPT": 1, "SBP": 1},
    "lpt": {
        "count": 1,
        "by_activity": {"patrol": 1, "operation": 0, "sea_patrol": 0},
        "by_best_outcome": {
            "patrol": {"ba_tegah_special": 0, "ba_tegah": 1, "ba_segel": 0, "sbp": 0, "none": 0},
            "operation": {"ba_tegah_special": 0, "ba_tegah": 0, "ba_segel": 0, "sbp": 0, "none": 0},
            "sea_patrol": {"ba_tegah_special": 0, "ba_tegah": 0, "ba_segel": 0, "sbp": 0, "none": 0},
        },
        "items": [
            {
                "document_id": "6f1c2b9e-8d4a-4f57-9a51-2d7f0c3e9b10",
                "number": "LPT-12/KBC.1602/2024",
                "date": "2024-02-03",
                "activity": "patrol",
                "outcomes": {"ba_tegah_special": 0, "ba_tegah": 1, "ba_segel": 0, "sbp": 1},
                "best_outcome": "ba_tegah",
            }
        ],
    },
    "ba_tegah": {
        "count": 0,
        "items": [],
    },
    "sea_patrols": {"count": 0, "items": []},
}
