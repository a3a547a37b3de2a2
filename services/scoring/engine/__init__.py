"""The scoring engine: pure functions over plain data (no I/O, no web framework).

``numbers`` (Decimal context, display rounding) → ``periods`` (windows) → ``manual`` (the IKU
manual language: schema + validation) → ``evaluate`` (realisations from measures) → ``rules``
(rule set: polarity, clamp, bands) → ``scorecard`` (index per IKU and roll-up to NKO) →
``analysis`` (report check, what-it-takes).
"""
