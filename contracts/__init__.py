"""What crosses the services, as code (ADR 0016, docs/contracts.md §5-§8).

Pydantic models and small pure helpers that more than one service reads or writes: the reporting
periods and their month windows (:mod:`contracts.periods`), the registry bundle
(:mod:`contracts.bundle`), the evidence facts (:mod:`contracts.evidence`) and the rule-set
document (:mod:`contracts.rule_set`). The producer answers with these models (its
``response_model``), the consumer parses with the same models: a field the producer forgot is a
validation error naming it on the consumer's side, never a silent default.

This package imports only the standard library, pydantic and :mod:`kernel` (its value types); it
knows no service, and the kernel does not know it (``tests/test_architecture.py``).
"""
