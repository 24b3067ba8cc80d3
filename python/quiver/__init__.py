"""Quiver from Python: a memory-mapped embedding store with its own static text embedder.

    import quiver
    model = quiver.Model()                       # the bundled 256-d model
    vectors = model.embed(["black cat"])         # numpy float32 (1, 256)
    with quiver.Store("my-store") as store:
        store.ingest([{"id": "a", "text": "a black cat", "metadata": {"kind": "pet"}}])
        hits = store.search("cat", k=5, where={"kind": "pet"})

The library is libQuiverC.so (include/quiver.h); calls release the GIL.
"""
from ._native import lib as _lib
from .cached import CachedModel
from .errors import (CallbackError, CorruptError, InternalError, InvalidArgumentError, NotFoundError, QuiverError, ReadOnlyError,
                     StoreBusyError, StoreFullError)
from .model import Model
from .store import Hit, Store

__version__ = "0.4.0"
LIBRARY_VERSION = _lib.qv_version().decode("utf-8")

__all__ = ["Model", "CachedModel", "Store", "Hit", "QuiverError", "InvalidArgumentError", "NotFoundError", "CorruptError",
           "StoreFullError", "ReadOnlyError", "StoreBusyError", "CallbackError", "InternalError", "LIBRARY_VERSION"]
