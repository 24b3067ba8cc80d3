"""The C library, loaded with ctypes (which releases the GIL for the length of every call), and
the marshalling every wrapper shares: texts as one UTF-8 buffer plus int64 offsets."""
import ctypes
import os
from ctypes import POINTER, c_char, c_char_p, c_float, c_int32, c_int64, c_uint32, c_void_p
from pathlib import Path

import numpy as np

from .errors import BY_STATUS, InternalError

LIB_DIR = Path(__file__).resolve().parent / "_lib"
DEFAULT_MODEL = LIB_DIR / "quiver-256d-pq-stateful-trained-vectors.qvm"

QV_OPEN_CREATE = 1
QV_OPEN_READ_ONLY = 2
MODES = {None: 0, "vector": 1, "lexical": 2, "hybrid": 3}


class IngestSummary(ctypes.Structure):
    _fields_ = [("documents", c_int64), ("unchanged", c_int64), ("replaced", c_int64), ("passages", c_int64)]


class SearchOptions(ctypes.Structure):
    _fields_ = [("k", c_int32), ("mode", c_int32), ("exact", c_int32), ("ef", c_int32), ("filter", c_char_p)]


class Results(ctypes.Structure):
    _fields_ = [("queries", c_int64), ("count", c_int64), ("offsets", POINTER(c_int64)), ("scores", POINTER(c_float)),
                ("ids", c_void_p), ("id_offsets", POINTER(c_int64)), ("texts", c_void_p), ("text_offsets", POINTER(c_int64))]


class CacheStats(ctypes.Structure):
    _fields_ = [("computed", c_int64), ("memory_hits", c_int64), ("memory_misses", c_int64), ("disk_hits", c_int64),
                ("disk_misses", c_int64), ("disk_entries", c_int64)]


EMBED_CALLBACK = ctypes.CFUNCTYPE(c_int32, c_void_p, POINTER(c_char), POINTER(c_int64), c_int64, c_int32, POINTER(c_float))


def _load():
    path = os.environ.get("QUIVER_LIBRARY") or str(LIB_DIR / "libQuiverC.so")
    lib = ctypes.CDLL(path)
    status = c_int32
    handle = c_void_p
    signatures = {
        "qv_last_error": (c_char_p, []),
        "qv_version": (c_char_p, []),
        "qv_model_open": (status, [c_char_p, c_int32, POINTER(handle)]),
        "qv_model_open_external": (status, [c_char_p, c_int32, EMBED_CALLBACK, c_void_p, c_int64, c_char_p, POINTER(handle)]),
        "qv_model_close": (None, [handle]),
        "qv_model_dimension": (c_int32, [handle]),
        "qv_model_space_key": (c_int64, [handle, c_char_p, c_int64]),
        "qv_model_embed": (status, [handle, c_char_p, c_void_p, c_int32, c_int64, POINTER(c_float), c_int64]),
        "qv_model_cache_stats": (status, [handle, POINTER(CacheStats)]),
        "qv_store_open": (status, [c_char_p, c_uint32, POINTER(handle)]),
        "qv_store_close": (None, [handle]),
        "qv_store_ingest": (status, [handle, handle, c_int64, c_int32, c_char_p, c_void_p, c_char_p, c_void_p, c_char_p, c_void_p,
                                     POINTER(IngestSummary)]),
        "qv_store_ingest_vectors": (status, [handle, handle, c_int64, c_int32, c_char_p, c_void_p, c_char_p, c_void_p, c_char_p,
                                             c_void_p, POINTER(c_float), c_int32, POINTER(IngestSummary)]),
        "qv_store_delete": (status, [handle, c_int64, c_int32, c_char_p, c_void_p, POINTER(c_int64)]),
        "qv_store_search_texts": (status, [handle, handle, c_char_p, c_void_p, c_int32, c_int64, POINTER(SearchOptions),
                                           POINTER(POINTER(Results))]),
        "qv_store_search_vectors": (status, [handle, handle, POINTER(c_float), c_int64, c_int32, POINTER(SearchOptions),
                                             POINTER(POINTER(Results))]),
        "qv_free": (None, [POINTER(Results)]),
        "qv_store_count": (status, [handle, c_char_p, POINTER(c_int64)]),
        "qv_store_stats": (status, [handle, POINTER(c_void_p)]),
        "qv_string_free": (None, [c_void_p]),
        "qv_store_snapshot": (status, [handle, c_char_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


lib = _load()


def check(status, on_callback_failure=None):
    """Raises the exception of a non-zero status, with the library's message for this thread."""
    if status == 0:
        return
    message = (lib.qv_last_error() or b"").decode("utf-8", "replace")
    if on_callback_failure is not None:
        on_callback_failure()  # re-raises what the Python callback raised, if anything
    raise BY_STATUS.get(status, InternalError)(message)


def pack(texts, what="texts"):
    """(buffer, int64 offsets) of a sequence of str: Arrow's string layout, as the C ABI takes it."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of str, not a single {type(texts).__name__}")
    encoded = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] is {type(t).__name__}, not str")
        encoded.append(t.encode("utf-8"))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return b"".join(encoded), offsets


def path_bytes(path):
    return os.fsencode(os.fspath(path))
