"""Value types of the contract documents (ADR 0016, ADR 0023).

The contract documents are ``TypedDict`` s validated by pydantic (``TypeAdapter``), not
``BaseModel`` s: the consumer (scoring) hands mappings to its engine, so validating JSON into
plain dicts in pydantic-core is the whole parse, with no object tree to build and dump again;
the producer's builder is checked against the same definition by mypy (a missing or unknown key
is a type error) and its answer by the producer's tests (``extra="forbid"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema


def _iso_timestamp(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 timestamp") from None
    return value


#: a moment as the wire carries it: ISO-8601 text (``2024-04-08T03:00:00Z``), kept as text by the
#: reader (scoring forwards it unchanged, e.g. as the evidence ``as_of``, and hashes it as received)
Timestamp = Annotated[str, AfterValidator(_iso_timestamp), WithJsonSchema({"type": "string", "format": "date-time"})]

#: an ISO-8601 calendar date (``2024-02-03``)
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), WithJsonSchema({"type": "string", "format": "date"})]

#: a number of record in a contract document: a JSON number, read as a ``float``. Every stored
#: figure has at most 15 significant digits (docs/contracts.md §4), so a float carries it exactly
#: and the engine turns it into the same ``Decimal`` from its shortest repr (ADR 0023: the exact
#: digits matter on the answers, where computed figures have 50). ``float``, not ``int | float``:
#: a union costs the reader about twice as much on a bundle, which is mostly numbers.
Num = float

#: a JSON object whose content another contract owns (a manual: scoring's manual language; a rule
#: set: :mod:`contracts.rule_set`): checked to be an object here, interpreted by its owner
Document = dict[str, Any]
