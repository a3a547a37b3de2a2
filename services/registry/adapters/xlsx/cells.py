"""Cells, rows and tables read from a sheet, and the map from JSON paths of the import document to cells."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kernel.errors import FieldError, ProblemError, Unprocessable
from services.registry.adapters.xlsx.names import MAX_ERRORS, Loc

# --- cells ----------------------------------------------------------------------------------------


_BLANK = object()


@dataclass(frozen=True)
class Cell:
    ref: str  # "IKU!G5"
    value: Any  # None when empty
    percent: bool = False
    problem: str | None = None  # a formula without a cached value, an Excel error value

    @property
    def blank(self) -> bool:
        return self.problem is None and (self.value is None or (isinstance(self.value, str) and not self.value.strip()))


@dataclass
class Row:
    number: int
    cells: dict[str, Cell]  # canonical column name (or period code) -> cell

    def get(self, column: str) -> Cell | None:
        return self.cells.get(column)

    def empty(self) -> bool:
        return all(c.blank for c in self.cells.values())


@dataclass
class Table:
    title: str
    columns: dict[str, Cell]  # canonical name -> header cell
    rows: list[Row]


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, ref: str, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(field=ref, reason=reason))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise Unprocessable(f"{first.field}: {first.reason}", errors=self.items)


@dataclass
class Cells:
    """JSON paths of the import document -> the cells (or sheets) they were read from."""

    refs: dict[Loc, str] = field(default_factory=dict)

    def put(self, loc: Loc, ref: str) -> None:
        self.refs[loc] = ref

    def put_default(self, loc: Loc, ref: str) -> None:
        self.refs.setdefault(loc, ref)

    def find(self, path: str) -> tuple[str, str] | None:
        """The cell of ``path`` (or of its nearest registered ancestor) and the part of the path below it."""
        loc = _parse_path(path)
        if loc is None:
            return None
        for n in range(len(loc), -1, -1):
            if (ref := self.refs.get(loc[:n])) is not None:
                rest = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[n:])
                return ref, rest
        return None


_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


def _parse_path(path: str) -> Loc | None:
    if not path.startswith("$"):
        return None
    out: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            return None
        name, index, quoted = m.groups()
        out.append(int(index) if index is not None else (name if name is not None else quoted))
        pos = m.end()
    return tuple(out)


def locate(exc: ProblemError, cells: Cells) -> None:
    """Rename the JSON paths of ``exc``'s errors to the cells they were read from (in place)."""
    errors: list[FieldError] = []
    for e in exc.errors or []:
        found = cells.find(e.field)
        if found is None:
            errors.append(e)
            continue
        ref, rest = found
        errors.append(FieldError(field=ref, reason=f"{e.reason} (at {rest})" if rest else e.reason))
        exc.detail = exc.detail.replace(e.field, ref)
    exc.errors = errors or None


@contextmanager
def located(cells: Cells) -> Iterator[None]:
    """Errors raised inside name the workbook's cells instead of JSON paths."""
    try:
        yield
    except ProblemError as exc:
        locate(exc, cells)
        raise
