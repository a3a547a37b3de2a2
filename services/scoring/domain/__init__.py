"""Service layer of scoring: fetch the registry bundle (one request), run the engine, shape results."""
