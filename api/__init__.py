"""Top layer: the HTTP API, the web UI and the ``troly`` command line."""
