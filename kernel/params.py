"""Request parameter types shared by the services.

``Identifier`` is the shape of every code that travels in a URL between services (org codes
such as ``WBC.16``, IKU codes such as ``3a-CP``): letters, digits, ``.``, ``_``, ``-``. A code
is checked at the edge of the service that receives it, so nothing unchecked is ever put into
another service's URL or into a response header (both were 500s before, found by fuzzing).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from kernel.types import IDENTIFIER_PATTERN, OrgCodePath

__all__ = ["IDENTIFIER_PATTERN", "CodePath", "DocumentCodePath", "IndicatorQuery"]

CodePath = OrgCodePath
#: the code of a versioned regulation document in a path (rule set ``KMK-300-2022``, ZI template
#: ``PermenPANRB-90-2021``): the identifier shape, up to the 64 characters their columns hold
DocumentCodePath = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN, description="document code, e.g. KMK-300-2022"),
]
IndicatorQuery = Annotated[
    str, Query(min_length=1, max_length=32, pattern=IDENTIFIER_PATTERN, description="IKU code, e.g. 3a-CP")
]
