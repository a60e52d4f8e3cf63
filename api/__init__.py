"""Top layer: the HTTP API, the web UI and the ``troly`` command line."""

from corpus.offline import enforce_offline

enforce_offline()
