"""A Quiver store: documents, their vectors, HNSW and lexical indexes in one LMDB directory."""
import ctypes
import json
from collections import namedtuple
from ctypes import POINTER, c_float, c_int64, c_void_p

import numpy as np

from ._handle import Handle
from ._native import MODES, QV_OPEN_CREATE, QV_OPEN_READ_ONLY, IngestSummary, Results, SearchOptions, check, lib, pack, path_bytes
from .model import Model

Hit = namedtuple("Hit", ["id", "score", "text"])
Hit.__doc__ = "One search result: a document id, its score (the mode's scale) and its best passage's text."


class Store(Handle):
    """The store in directory `path`, answering in `model`'s space (default: the bundled model).

    `create` makes the store when missing; `read_only` never writes (a replica, a read-only mount).
    Every Store of one directory in a process shares one LMDB environment. Thread-safe: threads may
    search and ingest through one Store at once (the GIL is released during calls). Close it (or use
    `with`) so that the HNSW graph file is written; after a crash it is caught up at the next open."""

    def __init__(self, path, model=None, create=True, read_only=False):
        self.path = str(path)
        self.model = model if model is not None else Model()
        flags = QV_OPEN_READ_ONLY if read_only else (QV_OPEN_CREATE if create else 0)
        handle = c_void_p()
        check(lib.qv_store_open(path_bytes(self.path), flags, ctypes.byref(handle)))
        self._open(handle)

    _kind = "store"

    @staticmethod
    def _close_function(handle):
        """Closes this handle: the last one of the directory writes the graph files and closes the
        environment (Handle.close calls it once)."""
        lib.qv_store_close(handle)

    # -- writing

    def ingest(self, records, vectors=None, batch_size=1000):
        """Embeds and stores documents: dicts with "id", "text" and optional "metadata" (a dict or a
        JSON object's text), or (id, text[, metadata]) tuples. A document whose id is stored is
        replaced when its text or metadata changed. With `vectors` (float32 (len(records),
        dimension), computed elsewhere) those are stored instead, one passage a document. Committed
        `batch_size` at a time; every document of a batch is checked before it is written. Returns
        the counts as a dict."""
        totals = {"documents": 0, "unchanged": 0, "replaced": 0, "passages": 0}
        if vectors is not None:
            records = list(records)
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[0] != len(records):
                raise ValueError(f"vectors must be an array ({len(records)}, dimension), not of shape {vectors.shape}")
        batch, start = [], 0
        for record in records:
            batch.append(_document(record))
            if len(batch) >= batch_size:
                self._ingest_batch(batch, None if vectors is None else vectors[start:start + len(batch)], totals)
                start += len(batch)
                batch = []
        if batch:
            self._ingest_batch(batch, None if vectors is None else vectors[start:start + len(batch)], totals)
        return totals

    def _ingest_batch(self, batch, vectors, totals):
        ids, id_offsets = pack([d[0] for d in batch], "ids")
        texts, text_offsets = pack([d[1] for d in batch], "texts")
        meta, meta_offsets = pack([d[2] for d in batch], "metadata")
        summary = IngestSummary()
        columns = (self._require(), self.model._require(), len(batch), 8, ids, id_offsets.ctypes.data, texts, text_offsets.ctypes.data,
                   meta, meta_offsets.ctypes.data)
        if vectors is None:
            status = lib.qv_store_ingest(*columns, ctypes.byref(summary))
        else:
            rows = np.ascontiguousarray(vectors)
            status = lib.qv_store_ingest_vectors(*columns, rows.ctypes.data_as(POINTER(c_float)), rows.shape[1], ctypes.byref(summary))
        check(status, on_callback_failure=self.model._after_failure)
        for name in totals:
            totals[name] += getattr(summary, name)

    def delete(self, ids):
        """Deletes documents by id; returns how many were stored."""
        buffer, offsets = pack(list(ids), "ids")
        deleted = c_int64()
        check(lib.qv_store_delete(self._require(), len(offsets) - 1, 8, buffer, offsets.ctypes.data, ctypes.byref(deleted)))
        return deleted.value

    def snapshot(self, destination):
        """A consistent, compacted copy of the store in `destination` (new or empty) while writers run."""
        check(lib.qv_store_snapshot(self._require(), path_bytes(destination)))

    # -- reading

    def search(self, queries, k=10, mode=None, where=None, exact=False, ef=64):
        """Answers queries in the model's space: documents, each once at its best passage, best first —
        what `quiver query --json` returns. `queries`: a str (returns a list of Hit), a sequence of str,
        or a float32 array (n, dimension) of query vectors (vector mode); the last two return one list
        of Hit per query. `mode`: "vector", "lexical", "hybrid" or None (hybrid when the store has a
        lexical index). `where`: a metadata filter, a dict or its JSON text (as `quiver query --where`).
        `exact`: exact scan instead of HNSW for the vector side; `ef`: HNSW breadth."""
        if mode not in MODES:
            raise ValueError(f"mode is one of vector, lexical, hybrid or None, not {mode!r}")
        options = SearchOptions(int(k), MODES[mode], 1 if exact else 0, int(ef), _filter_bytes(where))
        results = POINTER(Results)()
        if isinstance(queries, np.ndarray):
            vectors = np.ascontiguousarray(queries, dtype=np.float32)
            if vectors.ndim != 2:
                raise ValueError(f"query vectors must be a 2-d array (n, dimension), not of shape {vectors.shape}")
            status = lib.qv_store_search_vectors(self._require(), self.model._require(), vectors.ctypes.data_as(POINTER(c_float)),
                                                 vectors.shape[0], vectors.shape[1], ctypes.byref(options), ctypes.byref(results))
            check(status)
            return _unpack(results)
        single = isinstance(queries, str)
        buffer, offsets = pack([queries] if single else list(queries), "queries")
        status = lib.qv_store_search_texts(self._require(), self.model._require(), buffer, offsets.ctypes.data, 8, len(offsets) - 1,
                                           ctypes.byref(options), ctypes.byref(results))
        check(status, on_callback_failure=self.model._after_failure)
        answers = _unpack(results)
        return answers[0] if single else answers

    def count(self, where=None):
        """Documents whose metadata passes `where` (a dict or JSON text; None: all documents)."""
        n = c_int64()
        check(lib.qv_store_count(self._require(), _filter_bytes(where), ctypes.byref(n)))
        return n.value

    def stats(self):
        """Counts and sizes, as `quiver stats --json` prints them."""
        text = c_void_p()
        check(lib.qv_store_stats(self._require(), ctypes.byref(text)))
        try:
            return json.loads(ctypes.string_at(text).decode("utf-8"))
        finally:
            lib.qv_string_free(text)

    def __repr__(self):
        return f"quiver.Store({self.path!r})"


def _filter_bytes(where):
    """A metadata filter (a dict, its JSON text, or None) as the C ABI takes it: UTF-8 JSON or null."""
    text = None if where is None else (where if isinstance(where, str) else json.dumps(where))
    return text.encode("utf-8") if text else None


def _document(record):
    """(id, text, metadata JSON text or "") of a record."""
    if isinstance(record, dict):
        try:
            doc_id, text = record["id"], record["text"]
        except KeyError as missing:
            raise ValueError(f"a record needs \"id\" and \"text\"; this one lacks {missing}") from None
        metadata = record.get("metadata")
    else:
        doc_id, text, *rest = record
        metadata = rest[0] if rest else None
    if metadata is None:
        metadata = ""
    elif not isinstance(metadata, str):
        metadata = json.dumps(metadata)
    return str(doc_id), text, metadata


def _unpack(pointer):
    """Lists of Hit from a qv_results, which is then freed."""
    try:
        r = pointer.contents
        offsets = np.ctypeslib.as_array(r.offsets, shape=(r.queries + 1,)).copy()
        total = int(r.count)
        scores = np.ctypeslib.as_array(r.scores, shape=(total,)).copy() if total else np.zeros(0, np.float32)
        id_offsets = np.ctypeslib.as_array(r.id_offsets, shape=(total + 1,))
        text_offsets = np.ctypeslib.as_array(r.text_offsets, shape=(total + 1,))
        ids = ctypes.string_at(r.ids, int(id_offsets[-1])) if id_offsets[-1] else b""
        texts = ctypes.string_at(r.texts, int(text_offsets[-1])) if text_offsets[-1] else b""
        hits = [Hit(ids[id_offsets[i]:id_offsets[i + 1]].decode("utf-8"), float(scores[i]),
                    texts[text_offsets[i]:text_offsets[i + 1]].decode("utf-8")) for i in range(total)]
        return [hits[offsets[q]:offsets[q + 1]] for q in range(int(r.queries))]
    finally:
        lib.qv_free(pointer)
