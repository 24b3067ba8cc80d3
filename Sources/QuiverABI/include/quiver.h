/*
 * quiver.h — the C ABI of Quiver, an embedding store with its own static text embedder.
 *
 * The library is `libQuiverC.so` (the `QuiverC` product: `swift build -c release --product QuiverC
 * -Xswiftc -static-stdlib` gives one that needs only libc, libm, libstdc++, libgcc_s and the three
 * Debian libraries liblmdb0, libsentencepiece0 and libxxhash0). docs/c-abi.md is the guide; this
 * header is the contract.
 *
 * Conventions
 *  - Every function that can fail returns a qv_status; QV_OK is 0. On failure, qv_last_error()
 *    returns a one-line message for the calling thread (valid until that thread's next call), and
 *    nothing of the failed call was written (an ingest commits whole batches only; see
 *    qv_store_ingest).
 *  - No call traps on bad input: null pointers, negative counts, k < 1, offsets that decrease or
 *    run past their buffer, dimensions that do not match, invalid UTF-8, NaN vectors and filters
 *    that do not parse are all QV_ERROR_INVALID_ARGUMENT.
 *  - Texts come as one UTF-8 buffer plus n + 1 offsets (32- or 64-bit, `offset_width` 4 or 8):
 *    text i is bytes [offsets[i], offsets[i+1]) — Arrow's string layout. Offsets need not start at
 *    0.
 *  - Handles are thread-safe: any number of threads may embed and search through one handle at
 *    once; writes to one store are serialised by the store. Close a handle only when no other
 *    thread uses it. Calls do not take any language's global lock; a host (Python) releases its own.
 *  - One LMDB environment per store path per process: every qv_store_open of the same directory
 *    (by its real path) shares one environment, whatever the number of handles; the last close
 *    closes it.
 */
#ifndef QUIVER_H
#define QUIVER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result codes. */
typedef enum {
  QV_OK = 0,
  /** A bad argument: null pointer, count, offsets, k, dimension, UTF-8, NaN, filter, empty text. */
  QV_ERROR_INVALID_ARGUMENT = 1,
  /** No such store, space, document or model file. */
  QV_ERROR_NOT_FOUND = 2,
  /** A file that is not what it claims: a corrupt or truncated model, store or cache. */
  QV_ERROR_CORRUPT = 3,
  /** The store's map size limit or the disk is full; nothing of the failed write was committed. */
  QV_ERROR_FULL = 4,
  /** A write to a store opened read-only (QV_OPEN_READ_ONLY, a replica, a read-only mount). */
  QV_ERROR_READ_ONLY = 5,
  /** Another operation holds the store (compaction by another process), or an I/O failure. */
  QV_ERROR_IO = 6,
  /** An external model's callback returned non-zero or the wrong number of vectors. */
  QV_ERROR_CALLBACK = 7,
  /** Anything else (a bug: please report the message). */
  QV_ERROR_INTERNAL = 8
} qv_status;

/** The calling thread's message for its last failed call ("" when none). */
const char *qv_last_error(void);

/** The library's version, e.g. "quiver 0.4" (what a new store records as created_by). */
const char *qv_version(void);

/* ---------------------------------------------------------------------------------------------- */
/* Models                                                                                           */

/** A model: a mapped Quiver model file, or an external model behind a callback and the cache. */
typedef struct qv_model qv_model;

/**
 * Opens the Quiver model file at `path` (a `.qvm`; mapped, not read) at `dimension` (0: native;
 * else 32…native, truncatable models only).
 */
qv_status qv_model_open(const char *path, int32_t dimension, qv_model **out_model);

/**
 * An external model's embedding function: fill `out` (n × dimension floats, row-major) with the
 * vectors of the n texts (the same buffer-and-offsets layout, 64-bit offsets). Return 0 on
 * success, non-zero on failure (the caller's call then fails with QV_ERROR_CALLBACK). Called from
 * the thread that called into Quiver, for cache misses only.
 */
typedef int32_t (*qv_embed_callback)(void *context, const char *texts, const int64_t *offsets, int64_t n,
                                     int32_t dimension, float *out);

/**
 * A model computed elsewhere (a sentence-transformers model, an API) named `name` with `dimension`
 * outputs, behind Quiver's two cache layers: an in-memory LRU of `memory_entries` texts (0: none)
 * and, when `cache_path` is not null, an on-disk LMDB cache there (created if missing) that
 * survives restarts. `callback` is called with the texts neither layer holds. The model's space
 * key is `name@dimension`.
 */
qv_status qv_model_open_external(const char *name, int32_t dimension, qv_embed_callback callback, void *context,
                                 int64_t memory_entries, const char *cache_path, qv_model **out_model);

/** Closes a model handle (null is ignored). */
void qv_model_close(qv_model *model);

/** The model's output dimension. */
int32_t qv_model_dimension(const qv_model *model);

/**
 * The model's space key ("qvm:<hash>@256" for a model file, "name@dimension" for an external one)
 * into `buffer` (NUL-terminated, truncated to `capacity`); returns the key's length in bytes.
 */
int64_t qv_model_space_key(const qv_model *model, char *buffer, int64_t capacity);

/**
 * Embeds n texts into `out` (n × dimension floats, row-major; `out_capacity` floats available).
 * Unit vectors; identical to `quiver embed` for the same model and dimension. Batches of any size
 * (split internally); uses both cores for large batches.
 */
qv_status qv_model_embed(qv_model *model, const char *texts, const void *offsets, int32_t offset_width, int64_t n,
                         float *out, int64_t out_capacity);

/**
 * Counters of an external model's cache: texts computed by the callback, layer-1 hits and misses,
 * layer-2 hits and misses (zeros for a layer that is off, and for a model file).
 */
typedef struct {
  int64_t computed;
  int64_t memory_hits;
  int64_t memory_misses;
  int64_t disk_hits;
  int64_t disk_misses;
  int64_t disk_entries;
} qv_cache_stats;

qv_status qv_model_cache_stats(const qv_model *model, qv_cache_stats *out);

/* ---------------------------------------------------------------------------------------------- */
/* Stores                                                                                           */

typedef struct qv_store qv_store;

enum {
  /** Create the directory and an empty store when there is none (else a missing store fails). */
  QV_OPEN_CREATE = 1,
  /** Open for reading only: nothing is ever written (a replica, a read-only mount). */
  QV_OPEN_READ_ONLY = 2
};

/** Opens the store in directory `path`. */
qv_status qv_store_open(const char *path, uint32_t flags, qv_store **out_store);

/** Closes a store handle (null is ignored); the environment closes with the path's last handle. */
void qv_store_close(qv_store *store);

/** What an ingest did. */
typedef struct {
  int64_t documents;  /**< documents stored (new or changed) */
  int64_t unchanged;  /**< documents already stored with the same text and metadata */
  int64_t replaced;   /**< documents whose earlier version was replaced */
  int64_t passages;   /**< passages (vectors) written */
} qv_ingest_summary;

/**
 * Embeds and stores n documents with `model` in the model's space (created if missing): ids,
 * texts and metadata each as a buffer plus n + 1 offsets of `offset_width` bytes. Metadata is a
 * JSON object a document, or an empty slice for none; `metadata` and `metadata_offsets` may both
 * be null (no metadata at all). Every document is checked before anything is written; documents
 * are committed in batches of 1,000 (a failure leaves the batches before it stored). The space's
 * HNSW graph and lexical index are updated (lexical for Quiver model files only).
 */
qv_status qv_store_ingest(qv_store *store, qv_model *model, int64_t n, int32_t offset_width,
                          const char *ids, const void *id_offsets,
                          const char *texts, const void *text_offsets,
                          const char *metadata, const void *metadata_offsets,
                          qv_ingest_summary *out_summary);

/**
 * Stores n documents with vectors computed elsewhere (`vectors`: n × dimension floats, row-major,
 * finite; normalised for the cosine space) in `model`'s space, one passage a document spanning its
 * whole text; the texts also go into the lexical index when `model` is a Quiver model file. Ids,
 * texts and metadata as for qv_store_ingest. What a distributed build uses after embedding
 * elsewhere (tools/spark).
 */
qv_status qv_store_ingest_vectors(qv_store *store, qv_model *model, int64_t n, int32_t offset_width,
                                  const char *ids, const void *id_offsets,
                                  const char *texts, const void *text_offsets,
                                  const char *metadata, const void *metadata_offsets,
                                  const float *vectors, int32_t dimension, qv_ingest_summary *out_summary);

/** Deletes documents by id (n ids, buffer plus offsets); `*out_deleted` gets how many existed. */
qv_status qv_store_delete(qv_store *store, int64_t n, int32_t offset_width, const char *ids, const void *id_offsets,
                          int64_t *out_deleted);

/** How a search is answered. */
typedef enum {
  QV_MODE_DEFAULT = 0, /**< hybrid when the space has a lexical index, else vector */
  QV_MODE_VECTOR = 1,
  QV_MODE_LEXICAL = 2,
  QV_MODE_HYBRID = 3
} qv_mode;

typedef struct {
  int32_t k;             /**< results a query, 1…10,000 */
  int32_t mode;          /**< a qv_mode */
  int32_t exact;         /**< non-zero: exact scan for the vector side instead of HNSW */
  int32_t ef;            /**< HNSW breadth (0: 64) */
  const char *filter;    /**< a JSON metadata filter (as `quiver query --where`), or null */
} qv_search_options;

/**
 * Results of a batch of queries, laid out flat: query q's results are r in [offsets[q],
 * offsets[q+1]), best first; result r has score scores[r], id bytes [id_offsets[r],
 * id_offsets[r+1]) of `ids` and text bytes [text_offsets[r], text_offsets[r+1]) of `texts` (the
 * best passage's text). Read-only; freed by qv_free.
 */
typedef struct {
  int64_t queries;
  int64_t count;
  const int64_t *offsets;
  const float *scores;
  const char *ids;
  const int64_t *id_offsets;
  const char *texts;
  const int64_t *text_offsets;
} qv_results;

/**
 * Answers n query texts in `model`'s space (its model embeds them; lexical and hybrid use the
 * space's lexical index): documents, each once at its best passage — what `quiver query --json`
 * returns.
 */
qv_status qv_store_search_texts(qv_store *store, qv_model *model, const char *texts, const void *offsets,
                                int32_t offset_width, int64_t n, const qv_search_options *options,
                                qv_results **out_results);

/**
 * Answers n query vectors (n × dimension floats, row-major) in `model`'s space by vector search
 * (the mode must be default or vector).
 */
qv_status qv_store_search_vectors(qv_store *store, qv_model *model, const float *vectors, int64_t n, int32_t dimension,
                                  const qv_search_options *options, qv_results **out_results);

/** Frees results (null is ignored). */
void qv_free(qv_results *results);

/** Documents whose metadata passes `filter` (a JSON filter; null: all documents). */
qv_status qv_store_count(qv_store *store, const char *filter, int64_t *out_count);

/**
 * The store's statistics as a JSON object (the shape of `quiver stats --json`), NUL-terminated,
 * into a buffer the caller frees with qv_string_free.
 */
qv_status qv_store_stats(qv_store *store, char **out_json);

/** Frees a string returned by this library (null is ignored). */
void qv_string_free(char *string);

/**
 * A consistent copy of the store in `destination` (a new or empty directory) while writers run:
 * the LMDB environment copied with compaction at one commit, each space's HNSW graph copied and
 * caught up to that commit (`quiver snapshot`).
 */
qv_status qv_store_snapshot(qv_store *store, const char *destination);

#ifdef __cplusplus
}
#endif

#endif /* QUIVER_H */
