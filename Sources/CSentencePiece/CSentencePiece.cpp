// The only C++ in Quiver: a thin `extern "C"` surface over libsentencepiece. Every exception is caught
// here and turned into a qsp_status, so nothing C++ ever unwinds into Swift.
#include "CSentencePiece.h"

#include <sentencepiece_processor.h>

#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <vector>

struct qsp_processor {
  sentencepiece::SentencePieceProcessor sp;
};

namespace {

void write_message(char *message, size_t capacity, const char *text) {
  if (message == nullptr || capacity == 0) return;
  std::strncpy(message, text, capacity - 1);
  message[capacity - 1] = '\0';
}

qsp_status finish_load(qsp_processor *processor, const sentencepiece::util::Status &status,
                       qsp_processor **out, char *message, size_t capacity) {
  if (!status.ok()) {
    write_message(message, capacity, status.message());
    delete processor;
    return status.code() == sentencepiece::util::StatusCode::kNotFound ? QSP_NOT_FOUND
                                                                        : QSP_INVALID_MODEL;
  }
  if (processor->sp.GetPieceSize() <= 0) {
    write_message(message, capacity, "model has an empty vocabulary");
    delete processor;
    return QSP_INVALID_MODEL;
  }
  *out = processor;
  return QSP_OK;
}

// Each thread keeps one id vector, so steady-state encoding reuses its capacity.
thread_local std::vector<int> scratch_ids;

}  // namespace

extern "C" qsp_status qsp_load_file(const char *path, qsp_processor **out, char *message,
                                    size_t message_capacity) {
  *out = nullptr;
  try {
    std::ifstream probe(path, std::ios::binary);
    if (!probe.good()) {
      write_message(message, message_capacity, "cannot open the model file");
      return QSP_NOT_FOUND;
    }
    auto *processor = new qsp_processor();
    return finish_load(processor, processor->sp.Load(path), out, message, message_capacity);
  } catch (const std::bad_alloc &) {
    write_message(message, message_capacity, "out of memory");
    return QSP_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    write_message(message, message_capacity, e.what());
    return QSP_INTERNAL;
  } catch (...) {
    write_message(message, message_capacity, "unknown C++ exception");
    return QSP_INTERNAL;
  }
}

extern "C" qsp_status qsp_load_bytes(const void *bytes, size_t count, qsp_processor **out,
                                     char *message, size_t message_capacity) {
  *out = nullptr;
  try {
    auto *processor = new qsp_processor();
    auto view = absl::string_view(static_cast<const char *>(bytes), count);
    return finish_load(processor, processor->sp.LoadFromSerializedProto(view), out, message,
                       message_capacity);
  } catch (const std::bad_alloc &) {
    write_message(message, message_capacity, "out of memory");
    return QSP_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    write_message(message, message_capacity, e.what());
    return QSP_INTERNAL;
  } catch (...) {
    write_message(message, message_capacity, "unknown C++ exception");
    return QSP_INTERNAL;
  }
}

extern "C" void qsp_free(qsp_processor *processor) { delete processor; }

extern "C" int32_t qsp_vocab_size(const qsp_processor *p) { return p->sp.GetPieceSize(); }
extern "C" int32_t qsp_unk_id(const qsp_processor *p) { return p->sp.unk_id(); }
extern "C" int32_t qsp_bos_id(const qsp_processor *p) { return p->sp.bos_id(); }
extern "C" int32_t qsp_eos_id(const qsp_processor *p) { return p->sp.eos_id(); }
extern "C" int32_t qsp_pad_id(const qsp_processor *p) { return p->sp.pad_id(); }

extern "C" qsp_status qsp_encode(const qsp_processor *processor, const char *text, size_t length,
                                 int32_t *ids, size_t capacity, size_t *count) {
  *count = 0;
  try {
    scratch_ids.clear();
    auto status = processor->sp.Encode(absl::string_view(text, length), &scratch_ids);
    if (!status.ok()) return QSP_ENCODE_FAILED;
    *count = scratch_ids.size();
    size_t n = scratch_ids.size() < capacity ? scratch_ids.size() : capacity;
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(scratch_ids[i]);
    return QSP_OK;
  } catch (const std::bad_alloc &) {
    return QSP_OUT_OF_MEMORY;
  } catch (...) {
    return QSP_INTERNAL;
  }
}

extern "C" size_t qsp_id_to_piece(const qsp_processor *processor, int32_t id, char *buffer,
                                  size_t capacity) {
  if (id < 0 || id >= processor->sp.GetPieceSize()) return 0;
  try {
    const std::string &piece = processor->sp.IdToPiece(id);
    std::memcpy(buffer, piece.data(), piece.size() < capacity ? piece.size() : capacity);
    return piece.size();
  } catch (...) {
    return 0;
  }
}

extern "C" float qsp_piece_score(const qsp_processor *processor, int32_t id) {
  if (id < 0 || id >= processor->sp.GetPieceSize()) return 0;
  return processor->sp.GetScore(id);
}
