"""Third layer: retrieval pipelines, answers and the knowledge-base domain.

Imports from ``corpus`` and ``indexing``; never from ``api`` or ``eval``.
"""
