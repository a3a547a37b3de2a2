"""Parsed manuals (and rule sets), cached by content.

The key is the canonical JSON of the document, so a changed manual is a different key:
the cache can never serve a stale manual (scores always follow the registry's data).
Rule sets are cached the same way: every bundle carries its rule set, and validating it with
pydantic on every request cost as much as scoring a satker.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

from services.scoring.engine.manual import Manual, parse_manual
from services.scoring.engine.rules import RuleSet, parse_rule_set


class ManualCache:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[bytes, Manual] = OrderedDict()
        self._rules: OrderedDict[bytes, RuleSet] = OrderedDict()

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

    def rule_set(self, code: str, version: int, document: Any) -> RuleSet:
        """Same contract as :func:`~services.scoring.engine.rules.parse_rule_set` (raises
        ``RuleSetError``; errors are not cached), the parsed rule set shared by content."""
        key = orjson.dumps([code, version, document], option=orjson.OPT_SORT_KEYS)
        found = self._rules.get(key)
        if found is not None:
            self._rules.move_to_end(key)
            return found
        rules = parse_rule_set(code, version, document)
        self._rules[key] = rules
        if len(self._rules) > self._size:
            self._rules.popitem(last=False)
        return rules
