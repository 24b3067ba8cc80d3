#!/usr/bin/env python3
"""The data sets of docs/ann.md, as float32 .npy files (base and queries), deterministic per seed.

  --kind debian     the long descriptions of the Debian corpus (tools/corpus/extract_debian.py)
                    embedded with the fixture model by the numpy reference embedder; queries are
                    the short descriptions of --queries randomly chosen packages (seed --seed).
  --kind gaussian   --count points drawn from a mixture of --clusters isotropic Gaussians in --dim
                    dimensions (centres ~ N(0, 1), spread --spread), normalised to unit length;
                    queries are --queries fresh draws from the same mixture.

  tools/.venv/bin/python tools/bench/ann/make_data.py --kind debian \
      --corpus /tmp/corpus/descriptions.jsonl --out /tmp/ann-debian
  tools/.venv/bin/python tools/bench/ann/make_data.py --kind gaussian --count 1000000 \
      --clusters 256 --out /tmp/ann-1m
writes OUT-base.npy and OUT-queries.npy.
"""
import argparse
import json
import os
import sys

import numpy as np


def gaussian(count, queries, dim, clusters, spread, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)

    def draw(n):
        out = np.empty((n, dim), dtype=np.float32)
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            labels = rng.integers(0, clusters, m)
            out[start:start + m] = centres[labels] + spread * rng.standard_normal((m, dim)).astype(np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return draw(count), draw(queries)


def debian(corpus, model, queries, seed):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "distill"))
    from reference import ReferenceEmbedder
    records = [json.loads(line) for line in open(corpus, encoding="utf-8")]
    embedder = ReferenceEmbedder(model)
    base = embedder.embed([r["long"] for r in records])
    picks = np.random.default_rng(seed).choice(len(records), queries, replace=False)
    return base, embedder.embed([records[i]["short"] for i in picks])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["debian", "gaussian"], required=True)
    ap.add_argument("--out", required=True, help="prefix: writes PREFIX-base.npy and PREFIX-queries.npy")
    ap.add_argument("--corpus", default="/tmp/corpus/descriptions.jsonl")
    ap.add_argument("--model", default="fixtures/quiver-256d-pq.qvm")
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--clusters", type=int, default=64)
    ap.add_argument("--spread", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.kind == "debian":
        base, queries = debian(args.corpus, args.model, args.queries, args.seed)
    else:
        base, queries = gaussian(args.count, args.queries, args.dim, args.clusters, args.spread, args.seed)
    np.save(args.out + "-base.npy", base.astype("<f4"))
    np.save(args.out + "-queries.npy", queries.astype("<f4"))
    print(f"{args.out}-base.npy {base.shape}, {args.out}-queries.npy {queries.shape}")


if __name__ == "__main__":
    main()
