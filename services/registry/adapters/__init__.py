"""I/O formats of the registry (ADR 0017): the .xlsx workbook reader and writer. No session, no principal."""
