#!/usr/bin/env python3
"""The Debian retrieval task: query = a package's short description, document = its long description.

Held-out set: the first N (default 5,000) packages of the *test* split in sha256(name) order (the
split of tools/corpus/extract_debian.py; identical long descriptions were already removed), so the
set is fixed and documented. Each query has exactly one relevant document. Reports Recall@1,
Recall@10 and MRR@10 for BM25, the teacher, and static models (float and model files).

  tools/.venv/bin/python tools/eval/retrieval.py --corpus /tmp/corpus/descriptions.jsonl \
      --work /tmp/eval --float /tmp/distill/float-256.npz fixtures/quiver-256d-pq.qvm ...
"""
import argparse
import json
import math
import os
import re
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "distill"))
sys.path.insert(0, os.path.dirname(__file__))
from reference import ReferenceEmbedder  # noqa: E402
from heldout import held_out  # noqa: E402




def metrics(scores):
    """scores: (queries, docs); query i's relevant document is i."""
    ranks = []
    for i in range(len(scores)):
        s = scores[i]
        ranks.append(int((s > s[i]).sum()) + 1)
    ranks = np.array(ranks)
    return {"R@1": float((ranks <= 1).mean() * 100), "R@10": float((ranks <= 10).mean() * 100),
            "MRR@10": float(np.where(ranks <= 10, 1.0 / ranks, 0).mean() * 100)}


WORD = re.compile(r"\w+", re.UNICODE)


def bm25_scores(queries, docs, k1=1.2, b=0.75):
    tok = lambda t: WORD.findall(t.lower())
    dtoks = [tok(d) for d in docs]
    df = Counter(w for d in dtoks for w in set(d))
    n = len(docs)
    idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
    avg = sum(map(len, dtoks)) / n
    index = {}
    for j, d in enumerate(dtoks):
        tf = Counter(d)
        norm = k1 * (1 - b + b * len(d) / avg)
        for w, c in tf.items():
            index.setdefault(w, []).append((j, idf[w] * c * (k1 + 1) / (c + norm)))
    scores = np.zeros((len(queries), n), dtype=np.float32)
    for i, q in enumerate(queries):
        for w in set(tok(q)):
            for j, s in index.get(w, ()):
                scores[i, j] += s
    return scores


class FloatStatic:
    """A static model from distill.py's float-256.npz, optionally truncated or unweighted."""
    def __init__(self, npz, spm_path, dim=256, weighted=True):
        import sentencepiece as spm
        z = np.load(npz)
        self.vectors = z["embeddings"][:, :dim]
        self.weights = z["weights"] if weighted else (z["weights"] > 0).astype(np.float32)
        self.sp = spm.SentencePieceProcessor(model_file=spm_path)

    def embed(self, texts):
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for i, t in enumerate(texts):
            ids = self.sp.encode(t)
            if ids:
                v = (self.vectors[ids] * self.weights[ids, None]).sum(0)
                n = np.linalg.norm(v)
                out[i] = v / n if n > 0 else v
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--float", help="float-256.npz from distill.py")
    ap.add_argument("--spm", default="fixtures/debian-unigram-32k.model")
    ap.add_argument("--no-teacher", action="store_true")
    ap.add_argument("--truncate", default="", help="also score each model file at these leading dimensions, e.g. 32,64,128 (MRL)")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = held_out(args.corpus, args.count)
    queries = [r["short"] for r in rows]
    docs = [r["long"].replace("\n", " ") for r in rows]
    print(f"{len(rows)} held-out packages", file=sys.stderr)

    results = []
    results.append(("BM25", metrics(bm25_scores(queries, docs))))
    if not args.no_teacher:
        cache = os.path.join(args.work, f"teacher-{len(rows)}.npz")
        if os.path.exists(cache):
            z = np.load(cache)
            q, d = z["q"], z["d"]
        else:
            from teacher import Teacher
            t = Teacher()
            q, d = t.encode(queries), t.encode(docs, batch_size=32)
            np.savez(cache, q=q, d=d)
        results.append(("teacher all-MiniLM-L6-v2 (384 d)", metrics(q @ d.T)))
    if args.float:
        for dim, weighted in [(256, True), (256, False), (128, True), (64, True)]:
            m = FloatStatic(args.float, args.spm, dim, weighted)
            name = f"static float {dim} d" + ("" if weighted else ", unweighted mean")
            results.append((name, metrics(m.embed(queries) @ m.embed(docs).T)))
    for path in args.models:
        m = ReferenceEmbedder(path)
        eq, ed = m.embed(queries), m.embed(docs)
        results.append((os.path.basename(path), metrics(eq @ ed.T)))
        for k in [int(x) for x in args.truncate.split(",") if x]:
            if k >= eq.shape[1]:
                continue
            unit = lambda e: e[:, :k] / np.maximum(np.linalg.norm(e[:, :k], axis=1, keepdims=True), 1e-12)
            results.append((f"{os.path.basename(path)} truncated to {k} d", metrics(unit(eq) @ unit(ed).T)))

    print("| method | Recall@1 | Recall@10 | MRR@10 |")
    print("| --- | --- | --- | --- |")
    for name, r in results:
        print(f"| {name} | {r['R@1']:.1f} | {r['R@10']:.1f} | {r['MRR@10']:.1f} |")


if __name__ == "__main__":
    main()
