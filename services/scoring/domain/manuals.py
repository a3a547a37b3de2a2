"""Parsed manuals, cached by content.

The key is the canonical JSON of the manual document, so a changed manual is a different key:
the cache can never serve a stale manual (scores always follow the registry's data).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

from services.scoring.engine.manual import Manual, parse_manual


class ManualCache:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[bytes, Manual] = OrderedDict()

    def get(self, document: Any) -> Manual:
        key = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        manual = parse_manual(document)
        self._items[key] = manual
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return manual
