#ifndef QUIVER_CSENTENCEPIECE_H
#define QUIVER_CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque SentencePiece processor (one loaded model).
typedef struct qsp_processor qsp_processor;

/// Result codes of the shim. Every C++ exception is caught inside and becomes one of these.
typedef enum qsp_status {
  QSP_OK = 0,
  QSP_NOT_FOUND = 1,      ///< the model file does not exist or cannot be read
  QSP_INVALID_MODEL = 2,  ///< the bytes are not a SentencePiece model
  QSP_ENCODE_FAILED = 3,  ///< SentencePiece refused the input
  QSP_OUT_OF_MEMORY = 4,
  QSP_INTERNAL = 5,       ///< any other exception
} qsp_status;

/// Loads a model from a file path. On failure `*out` is NULL and `message` (may be NULL) gets a
/// NUL-terminated description of at most `message_capacity` bytes.
qsp_status qsp_load_file(const char *path, qsp_processor **out, char *message, size_t message_capacity);

/// Loads a model from serialized bytes (the content of a `.model` file).
qsp_status qsp_load_bytes(const void *bytes, size_t count, qsp_processor **out, char *message,
                          size_t message_capacity);

/// Frees a processor. Accepts NULL.
void qsp_free(qsp_processor *processor);

/// Number of pieces in the vocabulary.
int32_t qsp_vocab_size(const qsp_processor *processor);
/// Special ids; -1 when the model has none.
int32_t qsp_unk_id(const qsp_processor *processor);
int32_t qsp_bos_id(const qsp_processor *processor);
int32_t qsp_eos_id(const qsp_processor *processor);
int32_t qsp_pad_id(const qsp_processor *processor);

/// Encodes `length` bytes of UTF-8 text into ids. Writes at most `capacity` ids into `ids` and stores
/// the total count in `*count`; when `*count > capacity` the caller retries with a larger buffer.
/// Thread-safe for one processor used from many threads (the processor is immutable after load).
qsp_status qsp_encode(const qsp_processor *processor, const char *text, size_t length, int32_t *ids,
                      size_t capacity, size_t *count);

/// Copies the UTF-8 bytes of piece `id` into `buffer` (not NUL-terminated) and returns the piece's
/// full length in bytes; returns 0 for an id outside the vocabulary.
size_t qsp_id_to_piece(const qsp_processor *processor, int32_t id, char *buffer, size_t capacity);

/// The piece's score (log probability for unigram models).
float qsp_piece_score(const qsp_processor *processor, int32_t id);

#ifdef __cplusplus
}
#endif

#endif
