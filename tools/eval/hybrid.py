#!/usr/bin/env python3
"""Hybrid search through the store's own ingest and query: lexical, vector (exact and HNSW) and
each fusion on the Debian retrieval task (docs/quality.md). The documents (long descriptions) are
ingested with `quiver ingest`, every query (the short descriptions) is answered by
`quiver query --queries … --json`, and Recall@1, Recall@10 and MRR@10 are reported with standard
errors. Only the standard library (and numpy, to rebuild the validation slice) is used.

  python3 tools/eval/hybrid.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/hybrid \
      --set validation --count 2000 --alphas 0.3,0.4,0.5,0.6,0.7      # choose the fusion here
  python3 tools/eval/hybrid.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/hybrid \
      --set validation --count 2000 --modes bm25 --bm25 1.2:0.75,0.9:0.4,1.5:0.9   # BM25's k1 and b
  python3 tools/eval/hybrid.py --corpus /tmp/corpus/descriptions.jsonl --work /tmp/hybrid \
      --set heldout --count 5000                                       # report here, once
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from heldout import held_out, validation, write_task  # noqa: E402


def metrics(ranks):
    """ranks: the relevant document's rank (1-based) or None when outside the top 10."""
    n = len(ranks)
    r1 = [1.0 if r == 1 else 0.0 for r in ranks]
    r10 = [1.0 if r is not None and r <= 10 else 0.0 for r in ranks]
    rr = [1.0 / r if r is not None and r <= 10 else 0.0 for r in ranks]

    def mean_se(xs):
        m = sum(xs) / n
        var = sum((x - m) ** 2 for x in xs) / max(n - 1, 1)
        return 100 * m, 100 * math.sqrt(var / n)

    out = {}
    for name, xs in (("R@1", r1), ("R@10", r10), ("MRR@10", rr)):
        out[name], out[name + "_se"] = mean_se(xs)
    return out


def run_queries(quiver, store, queries_path, args):
    cmd = [quiver, "query", "--store", store, "--queries", queries_path, "--json", "-k", "10"] + args
    t0 = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()], time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--quiver", default=".build/release/quiver")
    ap.add_argument("--model", default="fixtures/quiver-256d-pq-stateful-trained-vectors.qvm")
    ap.add_argument("--set", choices=["heldout", "validation"], default="validation")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--alphas", default="0.5", help="comma-separated vector weights of the z-score fusion to try")
    ap.add_argument("--candidates", default="", help="comma-separated hybrid candidate counts to try besides the default")
    ap.add_argument("--bm25", default="", help="comma-separated k1:b pairs to try (query-time, `quiver query --k1 --b`), lexical and hybrid")
    ap.add_argument("--modes", default="all", help="'all', or 'bm25' for only the --bm25 configurations")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()

    rows = held_out(args.corpus, args.count) if args.set == "heldout" else validation(args.corpus, args.count)
    os.makedirs(args.work, exist_ok=True)
    tag = f"{args.set}-{len(rows)}-{os.path.basename(args.model)}"
    docs_path = os.path.join(args.work, f"docs-{tag}.jsonl")
    queries_path = os.path.join(args.work, f"queries-{tag}.txt")
    store = os.path.join(args.work, f"store-{tag}")
    write_task(rows, docs_path, queries_path)
    if not os.path.exists(store):
        subprocess.run([args.quiver, "ingest", "--store", store, "--model", args.model, docs_path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    configs = [("hybrid, the default (z-score α = 0.5)", []),
               ("lexical (BM25 on token ids)", ["--mode", "lexical"]),
               ("vector, exact", ["--mode", "vector", "--exact"]),
               ("vector, HNSW ef 64", ["--mode", "vector"]),
               ("hybrid, RRF (c = 60)", ["--mode", "hybrid", "--fusion", "rrf"])]
    for a in args.alphas.split(","):
        configs.append((f"hybrid, z-score α = {a}", ["--mode", "hybrid", "--alpha", a]))
    for c in filter(None, args.candidates.split(",")):
        configs.append((f"hybrid, the default with {c} candidates a side", ["--mode", "hybrid", "--candidates", c]))
    if args.modes == "bm25":
        configs = []
    for pair in filter(None, args.bm25.split(",")):
        k1, b = pair.split(":")
        configs.append((f"lexical, BM25 k1 = {k1}, b = {b}", ["--mode", "lexical", "--k1", k1, "--b", b]))
        configs.append((f"hybrid, the default with BM25 k1 = {k1}, b = {b}", ["--mode", "hybrid", "--k1", k1, "--b", b]))
    results = {}
    for name, extra in configs:
        answers, seconds = run_queries(args.quiver, store, queries_path, extra)
        ranks = []
        for r, a in zip(rows, answers):
            ids = [x["id"] for x in a["results"]]
            ranks.append(ids.index(r["package"]) + 1 if r["package"] in ids else None)
        m = metrics(ranks)
        m["seconds"] = seconds
        results[name] = m
        print(f"| {name} | {m['R@1']:.1f} ± {m['R@1_se']:.1f} | {m['R@10']:.1f} ± {m['R@10_se']:.1f} | "
              f"{m['MRR@10']:.1f} ± {m['MRR@10_se']:.1f} |", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"set": args.set, "count": len(rows), "model": args.model, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
