"""The evidence service: documents that prove realisations (upload, scan, store, review, aggregate)."""
