"""Measures ``assistant``: retrieval metrics over question files with gold articles."""

from corpus.offline import enforce_offline

enforce_offline()
