"""Business logic of the knowledge base; the API routes and the CLI only call these."""
