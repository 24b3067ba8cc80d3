"""Quiver's static text embedder: a memory-mapped model file, no transformer at query time."""
import ctypes
from ctypes import POINTER, c_float, c_void_p

import numpy as np

from . import _native
from ._handle import Handle
from ._native import check, lib, pack, path_bytes


class Model(Handle):
    """A Quiver model file (`.qvm`), mapped: `Model()` is the bundled default (256-d, product-
    quantised, stateful aggregator, distilled from all-MiniLM-L6-v2). Thread-safe: any number of
    threads may call `embed` at once (the GIL is released during the call)."""

    def __init__(self, path=None, dimension=None):
        self.path = str(path) if path is not None else str(_native.DEFAULT_MODEL)
        handle = c_void_p()
        check(lib.qv_model_open(path_bytes(self.path), int(dimension or 0), ctypes.byref(handle)))
        self._open(handle)

    _kind = "model"

    @staticmethod
    def _close_function(handle):
        """Unmaps the model (Handle.close calls it once)."""
        lib.qv_model_close(handle)

    @property
    def dimension(self):
        """The output dimension."""
        return lib.qv_model_dimension(self._require())

    @property
    def space_key(self):
        """The store space this model's vectors go to, e.g. "qvm:3f…@256"."""
        handle = self._require()
        n = lib.qv_model_space_key(handle, None, 0)
        buffer = ctypes.create_string_buffer(n + 1)
        lib.qv_model_space_key(handle, buffer, n + 1)
        return buffer.value.decode("utf-8")

    def embed(self, texts):
        """Unit vectors of `texts` (a sequence of non-empty str) as a float32 array (len(texts), dimension),
        identical to `quiver embed`. Raises InvalidArgumentError for an empty or over-long text."""
        handle = self._require()
        buffer, offsets = pack(texts)
        n = len(offsets) - 1
        out = np.empty((n, self.dimension), dtype=np.float32)
        if n:
            self._call_embed(handle, buffer, offsets, n, out)
        return out

    def _call_embed(self, handle, buffer, offsets, n, out):
        status = lib.qv_model_embed(handle, buffer, offsets.ctypes.data, 8, n, out.ctypes.data_as(POINTER(c_float)), out.size)
        check(status, on_callback_failure=self._after_failure)

    def _after_failure(self):
        """Called when a call that used this model failed: a CachedModel re-raises its function's exception."""

    def __repr__(self):
        return f"quiver.Model({self.path!r}, dimension={self.dimension})" if self._handle else "quiver.Model(closed)"
