"""Prepared bundles kept between requests, re-used only when the registry says they are current.

Every scores request still asks the registry (ADR 0026): it sends the ETag of the copy it holds
as ``If-None-Match``; the registry checks the caller's right to read and answers ``304`` when no
write has reached any registry table since that copy was read (the ETag is the registry
revision, which the database itself changes on every committed write). Only then is the copy
re-used, with the moment of this read as its ``as_of``. So an answer is what a fresh read would
give, while an unchanged bundle costs one cheap registry request instead of its six queries,
its transfer, the contract check and the engine's preparation (Decimals, manuals, plans).

The copies are the engine's :class:`~services.scoring.engine.scorecard.Prepared`, shared by
concurrent requests: nothing may change one after :func:`prepare` made it (the engine reads it
only; ``tests/scoring/test_bundle_cache.py`` scores a re-used copy against a fresh one).
Bounded (least recently used goes first); ``0`` turns it off (every request reads the bundle).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from services.scoring.engine.scorecard import Prepared

#: what a copy is a copy of: satker code, year and the ``as_of`` asked for (``None``: now)
Key = tuple[str, int, str | None]


class Held(NamedTuple):
    etag: str
    prepared: Prepared


class BundleCache:
    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[Key, Held] = OrderedDict()

    def get(self, key: Key) -> Held | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Key, etag: str, prepared: Prepared) -> None:
        if self._size <= 0:
            return
        self._items[key] = Held(etag, prepared)
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)
