"""The gateway's own endpoints, as routers (like the services' ``api/``): health, token, docs."""
