"""A frozen copy of the scoring engine as it was before issue 9 (2026-12-02, commit 91b8539).

Reference only: ``bench/bench_scoring.py`` scores the synthetic nation with this copy and with
the current engine and checks that every IKU index, SS, perspective and NKO is identical (exact
``Decimal`` equality), so a faster engine can never quietly change a result. Never imported by
the product.
"""
