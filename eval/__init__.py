"""Measures ``assistant``: retrieval metrics over question files with gold articles."""
