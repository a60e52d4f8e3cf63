"""API routers, one module per concern; each route only calls a service."""
