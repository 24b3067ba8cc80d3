import ctypes
import json

import numpy as np
import pytest

import quiver
from conftest import DEFAULT_MODEL, run_cli, run_in_threads


def test_default_model_embeds_unit_vectors():
    vectors = quiver.Model().embed(["black cat", "a PDF document viewer"])
    assert vectors.shape == (2, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.99


def test_vectors_are_bit_identical_to_the_cli(corpus):
    texts = [d["text"] for d in corpus[:300]] + ["black cat", "ünïcødé — text ✓", "x"]
    expected = np.array([json.loads(line)["vector"] for line in run_cli("embed", "--json", stdin="\n".join(texts) + "\n").splitlines()],
                        dtype=np.float32)
    # The CLI reads a line a text: the corpus texts hold newlines, so give it the same lines.
    lines = "\n".join(texts).split("\n")
    got = quiver.Model(DEFAULT_MODEL).embed(lines)
    assert got.shape == expected.shape
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_the_bundled_model_is_the_fixture_default():
    assert quiver.Model().space_key == quiver.Model(DEFAULT_MODEL).space_key


def test_truncated_dimension():
    m = quiver.Model(dimension=64)
    assert m.dimension == 64 and m.embed(["cat"]).shape == (1, 64)
    assert m.space_key.endswith("@64")
    with pytest.raises(quiver.InvalidArgumentError):
        quiver.Model(dimension=7)


def test_bad_inputs_raise_typed_errors(tmp_path):
    m = quiver.Model()
    with pytest.raises(quiver.InvalidArgumentError, match="empty"):
        m.embed(["fine", "   "])
    with pytest.raises(quiver.InvalidArgumentError, match="characters"):
        m.embed(["a" * 40_000])
    with pytest.raises(TypeError):
        m.embed("not a list")
    with pytest.raises(quiver.NotFoundError):
        quiver.Model(tmp_path / "missing.qvm")
    truncated = tmp_path / "truncated.qvm"
    truncated.write_bytes(DEFAULT_MODEL.read_bytes()[:100_000])
    with pytest.raises(quiver.CorruptError):
        quiver.Model(truncated)
    assert m.embed([]).shape == (0, 256)
    m.close()
    with pytest.raises(ValueError, match="closed"):
        m.embed(["cat"])


def test_abi_rejects_bad_buffers_instead_of_trapping():
    lib = quiver._native.lib
    m = quiver.Model()
    out = (ctypes.c_float * 512)()
    texts = b"black cat"
    decreasing = (ctypes.c_int64 * 3)(0, 9, 4)
    for offsets, width, n, capacity, message in [
        ((ctypes.c_int64 * 3)(0, 5, 9), 8, 2, 511, b"room"),
        (decreasing, 8, 2, 512, b"less than"),
        ((ctypes.c_int64 * 2)(-1, 9), 8, 1, 512, b"negative"),
        ((ctypes.c_int32 * 2)(0, 9), 2, 1, 512, b"width"),
        ((ctypes.c_int64 * 2)(0, 9), 8, -1, 512, b"negative"),
    ]:
        status = lib.qv_model_embed(m._handle, texts, ctypes.addressof(offsets), width, n, out, capacity)
        assert status == 1, message
        assert message in lib.qv_last_error()
    assert lib.qv_model_embed(None, texts, ctypes.addressof(decreasing), 8, 1, out, 512) == 1
    assert b"null" in lib.qv_last_error()
    assert lib.qv_model_embed(m._handle, b"\xff\xfe", ctypes.addressof((ctypes.c_int32 * 2)(0, 2)), 4, 1, out, 512) == 1
    assert b"UTF-8" in lib.qv_last_error()
    assert lib.qv_model_embed(m._handle, texts, ctypes.addressof((ctypes.c_int32 * 2)(0, 9)), 4, 1, out, 256) == 0
    assert lib.qv_last_error() == b""


def test_four_threads_on_one_model_agree_with_one(corpus):
    m = quiver.Model()
    texts = [d["text"] for d in corpus[:400]]
    expected = m.embed(texts)
    results = run_in_threads(lambda: [m.embed(texts) for _ in range(5)])
    for rounds in results:
        for r in rounds:
            assert np.array_equal(r, expected)
