import hashlib
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import quiver


class CountingModel:
    """A deterministic stand-in for a slow model: a vector from each text's hash; counts its texts."""

    def __init__(self, dimension=16):
        self.dimension = dimension
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, texts):
        with self.lock:
            self.calls.append(list(texts))
        out = np.stack([np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dimension], np.uint8) for t in texts])
        return out.astype(np.float32) / 255.0

    @property
    def computed(self):
        return sum(len(c) for c in self.calls)


def test_function_is_called_for_misses_only(tmp_path):
    fn = CountingModel()
    model = quiver.CachedModel(fn, path=tmp_path / "cache", name="counting", dimension=16)
    first = model.embed(["a", "b", "c"])
    assert fn.calls == [["a", "b", "c"]]
    second = model.embed(["b", "d", "a"])
    assert fn.calls[1:] == [["d"]]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert np.array_equal(first, fn(["a", "b", "c"]))
    assert model.stats["computed"] == 4 and model.stats["memory_hits"] == 2


def test_a_restarted_process_recomputes_nothing_it_has_seen(tmp_path):
    fn = CountingModel()
    texts = [f"text number {i}" for i in range(500)]
    expected = quiver.CachedModel(fn, path=tmp_path / "cache", name="counting", dimension=16).embed(texts)
    assert fn.computed == 500
    # A new process: empty memory layer, the same disk layer.
    script = textwrap.dedent(f"""
        import numpy as np, quiver
        calls = []
        def fn(texts):
            calls.extend(texts)
            return np.zeros((len(texts), 16), np.float32) + 0.5
        m = quiver.CachedModel(fn, path={str(tmp_path / "cache")!r}, name="counting", dimension=16)
        v = m.embed({texts!r} + ["new text"])
        np.save({str(tmp_path / "out.npy")!r}, v)
        print(len(calls))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"
    again = np.load(tmp_path / "out.npy")
    assert np.array_equal(again[:500], expected)
    assert np.all(again[500] == 0.5)


def test_another_name_or_dimension_is_another_cache(tmp_path):
    fn = CountingModel()
    quiver.CachedModel(fn, path=tmp_path / "cache", name="one", dimension=16).embed(["x"])
    quiver.CachedModel(fn, path=tmp_path / "cache", name="two", dimension=16).embed(["x"])
    assert fn.computed == 2


def test_the_function_s_failures_reach_the_caller(tmp_path):
    def broken(texts):
        raise ConnectionError("the API is down")

    model = quiver.CachedModel(broken, path=tmp_path / "cache", name="broken", dimension=8)
    with pytest.raises(ConnectionError, match="API is down"):
        model.embed(["x"])
    wrong = quiver.CachedModel(lambda texts: np.zeros((len(texts), 3)), name="wrong", dimension=8)
    with pytest.raises(quiver.CallbackError, match="shape"):
        wrong.embed(["x"])
    nan = quiver.CachedModel(lambda texts: np.full((len(texts), 8), np.nan), name="nan", dimension=8)
    with pytest.raises(quiver.CallbackError, match="NaN"):
        nan.embed(["x"])
    with pytest.raises(quiver.InvalidArgumentError):
        quiver.CachedModel(broken, name="bad@name", dimension=8)


def test_a_cached_model_fills_a_store(tmp_path, corpus):
    fn = CountingModel(dimension=32)
    model = quiver.CachedModel(fn, path=tmp_path / "cache", name="hash32", dimension=32)
    with quiver.Store(tmp_path / "s", model=model) as store:
        store.ingest(corpus[:40])
        hits = store.search([corpus[3]["text"].split("\n")[0]], k=1, mode="vector", exact=True)
        assert store.stats()["spaces"][0]["key"] == "hash32@32"
    assert len(hits[0]) == 1


def test_dimension_is_probed_when_not_given():
    fn = CountingModel(dimension=24)
    model = quiver.CachedModel(fn, name="probed")
    assert model.dimension == 24 and model.embed(["q"]).shape == (1, 24)
