"""Bottom layer: read legal texts and Q&A sources into Haystack documents.

Nothing here imports from ``indexing``, ``assistant``, ``api`` or ``eval``.
"""

from corpus.offline import enforce_offline

enforce_offline()
