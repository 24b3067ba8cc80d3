"""Writer and reader of Quiver model files (docs/model-format.md is the specification)."""
import json
import struct

import numpy as np
import xxhash

MAGIC = b"QUIVERMD"
VERSION = 1
HEADER_SIZE = 128
ENTRY_SIZE = 32
ALIGN = 64
FLAG_TRUNCATABLE = 1

KIND = {"codebook": 1, "codes": 2, "embeddings": 3, "weights": 4, "token_meta": 5, "aggregator": 6,
        "tokenizer": 7, "metadata": 8}
ELEM = {"bytes": 0, "f32": 1, "f16": 2}
AGGREGATOR = {"mean": 0, "fusion": 1, "stateful": 2}


def _pad(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def write_model(path, *, vocab, dim, spm_bytes, weights, codebook=None, codes=None, embeddings=None,
                truncatable=False, aggregator="mean", aggregator_params=b"",
                token_meta=None, meta=None):
    sections = []
    m = k = 0
    if codebook is not None:
        m, k, sub = codebook.shape
        assert m * sub == dim and codes.shape == (vocab, m)
        # f32 only: the Swift reader (ModelFile) accepts no other codebook element type.
        sections.append(("codebook", "f32", np.ascontiguousarray(codebook, dtype="<f4").tobytes()))
        sections.append(("codes", "bytes", np.ascontiguousarray(codes, dtype=np.uint8).tobytes()))
    else:
        assert embeddings.shape == (vocab, dim)
        sections.append(("embeddings", "f16", embeddings.astype("<f2").tobytes()))
    sections.append(("weights", "f32", np.asarray(weights, dtype="<f4").tobytes()))
    meta_codes = np.zeros(vocab, dtype=np.uint8) if token_meta is None else np.asarray(token_meta, dtype=np.uint8)
    sections.append(("token_meta", "bytes", meta_codes.tobytes()))
    sections.append(("aggregator", "bytes", bytes(aggregator_params)))
    sections.append(("tokenizer", "bytes", spm_bytes))
    sections.append(("metadata", "bytes", json.dumps(meta or {}, sort_keys=True).encode()))

    offset = _pad(HEADER_SIZE + ENTRY_SIZE * len(sections))
    table, body = b"", b""
    for kind, elem, data in sections:
        table += struct.pack("<IIQQQ", KIND[kind], ELEM[elem], offset, len(data), xxhash.xxh3_64_intdigest(data))
        padded = data + b"\0" * (_pad(len(data)) - len(data))
        body += padded
        offset += len(padded)
    after_header = table + b"\0" * (_pad(HEADER_SIZE + len(table)) - HEADER_SIZE - len(table)) + body
    file_size = HEADER_SIZE + len(after_header)
    content = xxhash.xxh3_128_intdigest(after_header)
    flags = FLAG_TRUNCATABLE if truncatable else 0
    header = MAGIC + struct.pack("<IIIIIIIIII", VERSION, HEADER_SIZE, vocab, dim, m, k, flags,
                                 AGGREGATOR[aggregator], len(sections), 0)
    header += struct.pack("<QQQ", content & (2**64 - 1), content >> 64, file_size)
    header += b"\0" * (120 - len(header))
    header += struct.pack("<Q", xxhash.xxh3_64_intdigest(header))
    assert len(header) == HEADER_SIZE
    with open(path, "wb") as f:
        f.write(header + after_header)


def read_model(path):
    """Returns dict: dim, vocab, weights, token vectors (decoded float32 V×D), spm bytes, header fields."""
    data = open(path, "rb").read()
    assert data[:8] == MAGIC
    version, hsize, vocab, dim, m, k, flags, agg, count, _ = struct.unpack_from("<IIIIIIIIII", data, 8)
    lo, hi, size = struct.unpack_from("<QQQ", data, 48)
    out = {"version": version, "vocab": vocab, "dim": dim, "m": m, "k": k, "flags": flags, "aggregator": agg,
           "content_hash": (hi << 64) | lo}
    secs = {}
    for i in range(count):
        kind, elem, off, length, _ = struct.unpack_from("<IIQQQ", data, hsize + i * ENTRY_SIZE)
        secs[kind] = (elem, data[off:off + length])
    out["weights"] = np.frombuffer(secs[KIND["weights"]][1], dtype="<f4")
    out["token_meta"] = np.frombuffer(secs[KIND["token_meta"]][1], dtype=np.uint8)
    out["aggregator_params"] = secs[KIND["aggregator"]][1]
    out["tokenizer"] = secs[KIND["tokenizer"]][1]
    out["metadata"] = json.loads(secs[KIND["metadata"]][1])
    if KIND["codebook"] in secs:
        elem, raw = secs[KIND["codebook"]]
        assert elem == ELEM["f32"], "codebooks are f32"
        cb = np.frombuffer(raw, dtype="<f4").reshape(m, k, dim // m)
        codes = np.frombuffer(secs[KIND["codes"]][1], dtype=np.uint8).reshape(vocab, m)
        out["vectors"] = np.concatenate([cb[j][codes[:, j]] for j in range(m)], axis=1)
        out["codebook"], out["codes"] = cb, codes
    else:
        out["vectors"] = np.frombuffer(secs[KIND["embeddings"]][1], dtype="<f2").astype(np.float32).reshape(vocab, dim)
    return out
