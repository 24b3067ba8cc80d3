#!/usr/bin/env python3
"""The reference implementation of Quiver's static embedding, in numpy, and its fixture vectors.

Inference, as Sources/Quiver/Model/Embedder.swift: SentencePiece ids (from the model file's own
tokenizer section) → acc = Σ wₜ·vₜ over the decoded token vectors → acc / ‖acc‖ (zeros when acc = 0).

  tools/.venv/bin/python tools/distill/reference.py fixtures/quiver-256d-pq.qvm \
      fixtures/debian-sentences.txt --count 1000 --out fixtures/reference-256d-pq.npy
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(__file__))
from model_file import read_model  # noqa: E402
import aggregators  # noqa: E402


class ReferenceEmbedder:
    def __init__(self, path):
        self.model = read_model(path)
        with tempfile.NamedTemporaryFile(suffix=".model", delete=False) as f:
            f.write(self.model["tokenizer"])
        self.sp = spm.SentencePieceProcessor(model_file=f.name)
        os.unlink(f.name)
        self.vectors = self.model["vectors"]
        self.weights = self.model["weights"]

        self.buckets = self.model["token_meta"]
        self.kind = self.model["aggregator"]
        dim = self.vectors.shape[1]
        if self.kind == 1:
            self.params = aggregators.unpack_fusion(self.model["aggregator_params"], dim)
        elif self.kind == 2:
            self.params = aggregators.unpack_stateful(self.model["aggregator_params"], dim)
        self.modes = None  # stateful: override the file's modes (aggregators.MODES)

    def embed_ids(self, ids):
        """Mean: acc = Σ wₜ·vₜ, normalised. Fusion and stateful: over the live tokens (weight ≠ 0),
        as tools/distill/aggregators.py specifies."""
        if self.kind == 0:
            acc = (self.vectors[ids].astype(np.float64) * self.weights[ids, None]).sum(0) if ids else \
                np.zeros(self.vectors.shape[1])
            n = np.linalg.norm(acc)
            return (acc / n if n > 0 else acc).astype(np.float32)
        live = [i for i in ids if 0 <= i < len(self.weights) and self.weights[i] != 0]
        if not live:
            return np.zeros(self.vectors.shape[1], dtype=np.float32)
        e = self.vectors[live].astype(np.float64)
        w = self.weights[live].astype(np.float64)
        if self.kind == 1:
            return aggregators.fusion(e, w, self.params).astype(np.float32)
        return aggregators.stateful(e, w, self.buckets[live], self.params, self.modes).astype(np.float32)

    def embed(self, texts):
        return np.stack([self.embed_ids(self.sp.encode(t)) for t in texts])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("sentences")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--half", action="store_true", help="store float16 (half the fixture bytes; cosine error < 1e-6)")
    ap.add_argument("--modes", choices=list(aggregators.MODES), help="stateful models: run this setting")
    args = ap.parse_args()
    with open(args.sentences, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f][: args.count]
    embedder = ReferenceEmbedder(args.model)
    if args.modes:
        embedder.modes = aggregators.MODES[args.modes]
    np.save(args.out, embedder.embed(texts).astype("<f2" if args.half else "<f4"))


if __name__ == "__main__":
    main()
