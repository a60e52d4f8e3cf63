"""Third layer: retrieval pipelines, answers and the knowledge-base domain.

Imports from ``corpus`` and ``indexing``; never from ``api`` or ``eval``.
"""

from corpus.offline import enforce_offline

enforce_offline()
