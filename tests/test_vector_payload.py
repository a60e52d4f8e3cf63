"""A vector in a point's payload (indexing.vector_payload): what is packed comes back."""

import numpy as np
import pytest

from indexing.vector_payload import pack_vector, unpack_vector


def test_a_packed_vector_comes_back_to_float16_precision():
    v = np.random.default_rng(3).normal(size=384).astype(np.float32)
    v /= np.linalg.norm(v)
    text = pack_vector(v)
    assert isinstance(text, str) and len(text) == 1024
    back = unpack_vector(text)
    assert back is not None and back.shape == (384,)
    np.testing.assert_allclose(back, v, atol=1e-3)
    assert float(back @ v) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("bad", [None, "", 42, "not base64!", "AAA", ["x"]])
def test_a_missing_or_damaged_field_reads_as_no_vector(bad):
    assert unpack_vector(bad) is None
