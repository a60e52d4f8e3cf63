"""A dense vector carried in a point's payload: float16, base64 (768 bytes → 1,024 characters).

Why in the payload and not as a second named vector: the vector is never searched by, only
read back with the few candidates a query returns (an entry's answer embedding, for the
answer verifier), and a payload field needs no change to the collection schema of the
embedded shard or of a server cluster. float16 keeps cosines to ~1e-3, far below what
ordering by it needs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np


def pack_vector(vector: Sequence[float] | np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def unpack_vector(text: object) -> np.ndarray | None:
    """The vector :func:`pack_vector` wrote; None for a missing or unreadable field."""
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if not raw or len(raw) % 2:
        return None
    return np.frombuffer(raw, dtype="<f2").astype(np.float32)
