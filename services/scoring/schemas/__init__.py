"""HTTP answer models of the scoring service, one module per topic (import from the submodules)."""
