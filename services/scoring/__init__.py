"""The scoring service: IKU manuals as data, achievement indices, roll-up to NKO, explanations.

Layers: ``engine/`` is pure Python (no I/O, no FastAPI): numbers, periods, the manual language,
the rule set, the roll-up, explain/report-check/what-it-takes. ``service/`` reads the registry
bundle over HTTP and hands it to the engine. ``api/`` holds the thin routers. Scoring owns no
database: every score is recomputed from the registry's data on each request.
"""
