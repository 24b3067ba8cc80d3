#!/usr/bin/env python3
"""Quiver's HNSW against hnswlib, FAISS IndexHNSWFlat and USearch on the same vectors and queries,
in one run: build seconds (1 thread), then per ef recall@10 (against an exact scan), single-thread
queries/s and p99 latency. Quiver runs as `quiver bench ann --json` on the same .npy files.

  tools/.venv/bin/pip install -r tools/bench/ann/requirements.txt
  tools/.venv/bin/python tools/bench/ann/compare.py --base base.npy --queries queries.npy \
      --quiver .build-tuned/release/quiver --out /tmp/ann.json

Data sets used in docs/ann.md: `make-data --kind debian` (the fixture model's embeddings of the
Debian corpus; queries = embedded short descriptions) and `--kind gaussian` (clustered 256-d).
"""
import argparse
import json
import subprocess
import time

import numpy as np

EFS = [16, 32, 64, 128, 256]


def recall(found, truth):
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))


def timed_queries(fn, queries):
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(fn(q))
        lat.append(time.perf_counter() - t)
    lat = np.array(lat)
    return found, {"per_second": len(lat) / lat.sum(), "p50_us": float(np.percentile(lat, 50) * 1e6),
                   "p99_us": float(np.percentile(lat, 99) * 1e6)}


def run_hnswlib(x, q, truth, m, efc):
    import hnswlib
    p = hnswlib.Index(space="ip", dim=x.shape[1])
    p.init_index(max_elements=len(x), M=m, ef_construction=efc, random_seed=42)
    t = time.perf_counter()
    p.add_items(x, num_threads=1)
    build = time.perf_counter() - t
    rows = []
    for ef in EFS:
        p.set_ef(ef)
        found, r = timed_queries(lambda v: p.knn_query(v[None, :], k=10)[0][0], q)
        rows.append(dict(ef=ef, recall_at_10=recall(found, truth), **r))
    return {"library": "hnswlib", "build_seconds": build, "results": rows}


def run_faiss(x, q, truth, m, efc):
    import faiss
    faiss.omp_set_num_threads(1)
    index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    t = time.perf_counter()
    index.add(x)
    build = time.perf_counter() - t
    rows = []
    for ef in EFS:
        index.hnsw.efSearch = ef
        found, r = timed_queries(lambda v: index.search(v[None, :], 10)[1][0], q)
        rows.append(dict(ef=ef, recall_at_10=recall(found, truth), **r))
    return {"library": "faiss IndexHNSWFlat", "build_seconds": build, "results": rows}


def run_usearch(x, q, truth, m, efc):
    from usearch.index import Index
    index = Index(ndim=x.shape[1], metric="ip", dtype="f32", connectivity=m, expansion_add=efc)
    t = time.perf_counter()
    index.add(np.arange(len(x)), x, threads=1)
    build = time.perf_counter() - t
    rows = []
    for ef in EFS:
        index.expansion_search = ef
        found, r = timed_queries(lambda v: index.search(v, 10, threads=1).keys, q)
        rows.append(dict(ef=ef, recall_at_10=recall(found, truth), **r))
    return {"library": "usearch", "build_seconds": build, "results": rows}


def replot(paths, out, title):
    """Redraw a plot from saved --out reports (one panel per report)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(paths), figsize=(7 * len(paths), 4.5))
    axes = [axes] if len(paths) == 1 else axes
    for ax, (name, path) in zip(axes, paths):
        for r in json.load(open(path)):
            rows = r["results"]
            ax.plot([row["recall_at_10"] for row in rows], [row["per_second"] for row in rows], marker="o", label=r["library"])
        ax.set_xlabel("recall@10"); ax.set_ylabel("queries/s, one thread"); ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3); ax.legend(); ax.set_title(name)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--quiver", default=".build/release/quiver")
    ap.add_argument("--M", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--out")
    ap.add_argument("--plot", help="draw recall@10 vs queries/s, one line per library, to this PNG")
    ap.add_argument("--title", default="")
    ap.add_argument("--libraries", default="hnswlib,faiss,usearch", help="peers to run beside Quiver")
    ap.add_argument("--quiver-args", default="", help="extra arguments for `quiver bench ann`")
    args = ap.parse_args()
    x = np.load(args.base).astype(np.float32)
    q = np.load(args.queries).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = np.argsort(-(q @ x.T), axis=1)[:, :10]
    report = []
    out = subprocess.run([args.quiver, "bench", "ann", "--base", args.base, "--queries", args.queries, "--M", str(args.M),
                          "--ef-construction", str(args.ef_construction), "--ef", ",".join(map(str, EFS)), "--json", *args.quiver_args.split()],
                         check=True, capture_output=True, text=True).stdout
    report.append(json.loads(out))
    peers = {"hnswlib": run_hnswlib, "faiss": run_faiss, "usearch": run_usearch}
    for name in filter(None, args.libraries.split(",")):
        report.append(peers[name](x, q, truth, args.M, args.ef_construction))
    for r in report:
        line = ", ".join(f"ef {row['ef']}: R@10 {row['recall_at_10']:.3f} {row['per_second']:.0f} q/s p99 {row['p99_us']:.0f} µs"
                         for row in r["results"])
        print(f"{r['library']:22s} build {r['build_seconds']:.2f} s | {line}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    if args.plot:
        plot(report, args.plot, args.title)


def plot(report, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in report:
        rows = r["results"]
        ax.plot([row["recall_at_10"] for row in rows], [row["per_second"] for row in rows], marker="o", label=r["library"])
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries/s, one thread")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title or "HNSW, M = 16, efConstruction = 200; ef ∈ {16, 32, 64, 128, 256}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "replot":  # replot OUT.png NAME=REPORT.json ...
        replot([tuple(a.split("=", 1)) for a in sys.argv[3:]], sys.argv[2], "HNSW, M = 16, efConstruction = 200")
    else:
        main()
