"""The web interface for judges, reviewers and admins (issue #4).

Why a separate package: the pages are thin server-rendered shells (Jinja2) whose
JavaScript talks only to the JSON API under ``/api/v1``; keeping them apart from the
routes and services means the UI can change without touching the knowledge base, and
every asset is served from this folder (no CDN: the courts' machines are offline).
"""
