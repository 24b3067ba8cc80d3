"""Quiver's two cache layers in front of any Python embedding function."""
import ctypes
import threading
from ctypes import c_void_p

import numpy as np

from ._native import EMBED_CALLBACK, CacheStats, check, lib, path_bytes
from .errors import CallbackError
from .model import Model


class CachedModel(Model):
    """Any embedding function behind Quiver's cache: an in-memory LRU of `memory_entries` texts
    and, with `path`, an on-disk LMDB cache there that survives restarts. `fn(list_of_str)` returns
    an array-like (n, dimension) and is called for the texts neither layer holds — a
    sentence-transformers model's `encode`, or an API client. A restarted process with the same
    `path` and `name` recomputes nothing it has seen.

    `name` identifies the model in the cache and in a store (the space key is `name@dimension`;
    default: the function's qualified name); `dimension` is its output size (default: found by
    calling `fn` once on a probe text). Vectors are stored as `fn` returns them (float32)."""

    def __init__(self, fn, path=None, name=None, dimension=None, memory_entries=4000):
        if not callable(fn):
            raise TypeError("fn must be callable: a function of a list of str returning (n, dimension) vectors")
        self.fn = fn
        self.name = name or f"{getattr(fn, '__module__', None) or 'python'}.{getattr(fn, '__qualname__', type(fn).__name__)}"
        if dimension is None:
            dimension = int(np.asarray(fn(["quiver dimension probe"])).shape[-1])
        self.path = str(path) if path is not None else None
        self._failure = threading.local()
        self._callback = EMBED_CALLBACK(self._embed_misses)  # kept alive as long as the handle
        handle = c_void_p()
        check(lib.qv_model_open_external(self.name.encode("utf-8"), int(dimension), self._callback, None, int(memory_entries),
                                         path_bytes(self.path) if self.path else None, ctypes.byref(handle)))
        self._open(handle)

    def _embed_misses(self, _context, texts, offsets, n, dimension, out):
        """The C callback: called (with the GIL) for the cache misses of one embed call."""
        try:
            ends = np.ctypeslib.as_array(offsets, shape=(n + 1,))
            data = ctypes.string_at(texts, int(ends[-1])) if n and ends[-1] else b""
            batch = [data[ends[i]:ends[i + 1]].decode("utf-8") for i in range(n)]
            vectors = np.asarray(self.fn(batch), dtype=np.float32)
            if vectors.shape != (n, dimension):
                raise CallbackError(f"fn returned an array of shape {vectors.shape} for {n} texts; expected ({n}, {dimension})")
            ctypes.memmove(out, np.ascontiguousarray(vectors).ctypes.data, vectors.nbytes)
            return 0
        except BaseException as error:  # noqa: BLE001 — handed back to the calling thread below
            self._failure.error = error
            return 1

    def _after_failure(self):
        error = getattr(self._failure, "error", None)
        self._failure.error = None
        if error is not None:
            raise error

    @property
    def stats(self):
        """Texts computed by `fn`, and the hits and misses of both layers, as a dict."""
        s = CacheStats()
        check(lib.qv_model_cache_stats(self._require(), ctypes.byref(s)))
        return {name: getattr(s, name) for name, _ in CacheStats._fields_}

    def __repr__(self):
        return f"quiver.CachedModel({self.name!r}, path={self.path!r})"
