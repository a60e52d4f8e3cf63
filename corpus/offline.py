"""Keep every process offline: no model hub look-ups, no telemetry.

Why: court machines have no internet; a library that tries to phone home stalls on
DNS time-outs and logs noise. Each layer's ``__init__`` calls :func:`enforce_offline`
before any of its modules imports haystack, transformers or sentence-transformers.
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
